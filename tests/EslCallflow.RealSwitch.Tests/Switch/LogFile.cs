using System.Text;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>A log file another process writes; read from a mark (a byte offset) so a test sees only its own time window.</summary>
public sealed class LogFile
{
    public LogFile(string path) => Path = path;

    public string Path { get; }

    /// <summary>Where the file ends now: what is written later belongs to whatever starts now.</summary>
    public long Mark() => File.Exists(Path) ? new FileInfo(Path).Length : 0;

    public string ReadFrom(long mark)
    {
        if (!File.Exists(Path))
        {
            return string.Empty;
        }
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (mark > stream.Length)
        {
            mark = 0;
        }
        stream.Seek(mark, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public IReadOnlyList<string> LinesFrom(long mark) =>
        ReadFrom(mark).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

    /// <summary>The last <paramref name="count"/> lines written since <paramref name="mark"/>.</summary>
    public string Tail(long mark, int count)
    {
        var lines = LinesFrom(mark);
        var skipped = Math.Max(0, lines.Count - count);
        var text = string.Join('\n', lines.Skip(skipped));
        return skipped > 0 ? $"({skipped} earlier lines not shown; whole file: {Path})\n{text}" : text;
    }
}
