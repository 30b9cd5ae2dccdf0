using System.Text;

namespace EslCallflow.Testing;

public enum TranscriptDirection
{
    Sent,
    Received,
}

public sealed record TranscriptChunk(TranscriptDirection Direction, byte[] Bytes)
{
    public string Text => Encoding.UTF8.GetString(Bytes);
}

/// <summary>
/// Reads the captured ESL sessions in Transcripts/: '>>> SENT n bytes' / '<<< RECV n bytes' markers, the
/// exact bytes of one socket read, then '<<< END'. Files without markers are one raw received stream.
/// </summary>
public static class Transcript
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Transcripts", name);

    public static IReadOnlyList<TranscriptChunk> Load(string name) => Parse(File.ReadAllBytes(PathOf(name)));

    /// <summary>Everything FreeSWITCH sent, concatenated: the byte stream the client's socket saw.</summary>
    public static byte[] ReceivedStream(string name)
    {
        var chunks = Load(name);
        return chunks.Count == 0
            ? File.ReadAllBytes(PathOf(name))
            : chunks.Where(c => c.Direction == TranscriptDirection.Received).SelectMany(c => c.Bytes).ToArray();
    }

    public static IReadOnlyList<TranscriptChunk> Parse(byte[] file)
    {
        var chunks = new List<TranscriptChunk>();
        var end = "\n<<< END\n"u8.ToArray();
        var position = 0;
        while (position < file.Length)
        {
            var lineEnd = Array.IndexOf(file, (byte)'\n', position);
            if (lineEnd < 0)
            {
                break;
            }
            var line = Encoding.UTF8.GetString(file, position, lineEnd - position);
            position = lineEnd + 1;
            TranscriptDirection direction;
            if (line.StartsWith(">>> SENT", StringComparison.Ordinal))
            {
                direction = TranscriptDirection.Sent;
            }
            else if (line.StartsWith("<<< RECV", StringComparison.Ordinal))
            {
                direction = TranscriptDirection.Received;
            }
            else
            {
                continue;
            }

            var parts = line.Split(' ');
            int length;
            if (parts.Length >= 3 && int.TryParse(parts[2], out var counted))
            {
                length = counted;
            }
            else
            {
                // Uncounted chunks end where the '<<< END' line begins (its leading newline is the separator).
                var close = file.AsSpan(position).IndexOf(end);
                length = close < 0 ? file.Length - position : close;
            }
            chunks.Add(new TranscriptChunk(direction, file.AsSpan(position, length).ToArray()));
            position += length;
            var next = file.AsSpan(position).IndexOf(end);
            position = next < 0 ? file.Length : position + next + end.Length;
        }
        return chunks;
    }
}
