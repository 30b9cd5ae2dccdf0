using System.Buffers;
using System.Text;
using System.Text.Json;

namespace EslCallflow.Delivery;

/// <summary>
/// Events a destination will never get (refused, too old, or its queue was full), kept one JSON line each in its
/// <c>failed.jsonl</c>: <c>{"reason","detail","failed_at","event":{...}}</c>. Bounded: past the size limit the file
/// becomes <c>failed.1.jsonl</c> (replacing the older one) and a new one starts.
/// </summary>
public sealed class FailedEventLog(string folder, long maxBytes, TimeProvider time) : IDisposable
{
    private const int KeptBufferBytes = 1024 * 1024;
    private readonly Lock _gate = new();
    private ArrayBufferWriter<byte> _text = new();
    private FileStream? _file;

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
        lock (_gate)
        {
            // Straight to UTF-8 in a buffer kept from one write to the next: a hook that stays full refuses every call's events.
            _text.ResetWrittenCount();
            foreach (var evt in events)
            {
                Encoding.UTF8.GetBytes(prefix, _text);
                Encoding.UTF8.GetBytes(evt.Json, _text);
                _text.Write("}\n"u8);
            }
            try
            {
                Append(_text.WrittenSpan);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Counted and logged by the caller all the same; only the copy on disk is missing.
            }
            if (_text.Capacity > KeptBufferBytes)
            {
                _text = new ArrayBufferWriter<byte>();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private void Append(ReadOnlySpan<byte> lines)
    {
        try
        {
            // Kept open: opening and closing it cost a full queue several times what refusing an event costs otherwise.
            // Opened again when an operator has moved or deleted it, so lines always go to failed.jsonl.
            if (_file is not null && !File.Exists(Path))
            {
                _file.Dispose();
                _file = null;
            }
            _file ??= Open();
            if (_file.Position > 0 && _file.Position + lines.Length > maxBytes)
            {
                _file.Dispose();
                _file = null;
                File.Move(Path, System.IO.Path.Combine(folder, "failed.1.jsonl"), overwrite: true);
                _file = Open();
            }
            _file.Write(lines);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Opened again next time, the folder too: it may have been removed meanwhile.
            _file?.Dispose();
            _file = null;
            throw;
        }
    }

    private FileStream Open()
    {
        Directory.CreateDirectory(folder);
        return new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }
}
