using System.Text;
using System.Text.Json;

namespace EslCallflow.Records.Delivery;

/// <summary>
/// Events a destination will never get (refused, too old, or its queue was full), kept one JSON line each in its
/// <c>failed.jsonl</c>: <c>{"reason","detail","failed_at","event":{...}}</c>. Bounded: past the size limit the file
/// becomes <c>failed.1.jsonl</c> (replacing the older one) and a new one starts.
/// </summary>
public sealed class FailedEventLog(string folder, long maxBytes, TimeProvider time)
{
    private readonly Lock _gate = new();

    public string Path => System.IO.Path.Combine(folder, "failed.jsonl");

    public void Write(SpooledEvent evt, string reason, string detail) => Write([evt], reason, detail);

    /// <summary>Several events given up for one reason, in one write (a full queue refuses a whole batch).</summary>
    public void Write(IReadOnlyList<SpooledEvent> events, string reason, string detail)
    {
        if (events.Count == 0)
        {
            return;
        }
        var prefix = $"{{\"reason\":{JsonSerializer.Serialize(reason)},\"detail\":{JsonSerializer.Serialize(detail)},\"failed_at\":{JsonSerializer.Serialize(time.GetUtcNow())},\"event\":";
        var text = new StringBuilder();
        foreach (var evt in events)
        {
            text.Append(prefix).Append(evt.Json).Append("}\n");
        }
        var line = text.ToString();
        lock (_gate)
        {
            try
            {
                Append(line);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Counted and logged by the caller all the same; only the copy on disk is missing.
            }
        }
    }

    private void Append(string line)
    {
        {
            Directory.CreateDirectory(folder);
            if (File.Exists(Path) && new FileInfo(Path).Length + line.Length > maxBytes)
            {
                File.Move(Path, System.IO.Path.Combine(folder, "failed.1.jsonl"), overwrite: true);
            }
            File.AppendAllText(Path, line, Encoding.UTF8);
        }
    }
}
