using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace EslCallflow.Delivery;

/// <summary>
/// One destination's events on disk, so what is not delivered yet survives a restart, and so a long queue costs
/// disk rather than memory. Events are appended to numbered segment files (<c>00000001.events</c>, one JSON event
/// a line), fsync'd before they are queued for delivery; the queue keeps only each event's place
/// (<see cref="SpoolEntry"/>) and its JSON is read back when it is about to be sent. Each delivered (or given-up)
/// event's id is appended to the segment's <c>.acks</c> file, kept open while the segment lives. A segment whose
/// every event is acknowledged is deleted. Acks are not fsync'd: one lost in a crash only sends that event again
/// (delivery is at least once).
/// On start, every event not acknowledged is found again, in the order written.
/// </summary>
/// <remarks>Thread-safe: the dispatcher's spool thread appends while the destination's workers read back and acknowledge.</remarks>
public sealed class EventSpool : IDisposable
{
    private const int EventsPerSegment = 1000;
    private readonly Lock _gate = new();
    private readonly string? _folder;
    private readonly Dictionary<long, Segment> _segments = [];
    private readonly Dictionary<long, SpooledEvent> _inMemory = [];
    private readonly ArrayBufferWriter<byte> _text = new();
    private readonly ArrayBufferWriter<byte> _ackText = new();
    private long _current;
    private long _nextInMemory;
    private FileStream? _writer;

    private EventSpool(string? folder)
    {
        _folder = folder;
    }

    /// <summary>Where it keeps its files; null for a spool kept in memory only.</summary>
    public string? Folder => _folder;

    /// <summary>A spool that keeps nothing on disk (its folder could not be used): events survive no restart.</summary>
    public static EventSpool InMemory() => new(null);

    /// <summary>Opens (or creates) the spool in <paramref name="folder"/>; returns where the events still pending are, in order.</summary>
    public static EventSpool Open(string folder, out IReadOnlyList<(string RecordId, SpoolEntry At)> pending, out int unreadable)
    {
        Directory.CreateDirectory(folder);
        var spool = new EventSpool(folder);
        var found = new List<(string, SpoolEntry)>();
        unreadable = 0;
        foreach (var file in Directory.GetFiles(folder, "*.events").Order(StringComparer.Ordinal))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
            {
                continue;
            }
            var acks = File.Exists(spool.AckPath(number))
                ? new HashSet<string>(File.ReadAllLines(spool.AckPath(number)), StringComparer.Ordinal)
                : [];
            var segment = new Segment();
            var bytes = File.ReadAllBytes(file);
            for (var offset = 0; offset < bytes.Length;)
            {
                var end = Array.IndexOf(bytes, (byte)'\n', offset);
                var length = (end < 0 ? bytes.Length : end) - offset;
                var line = bytes.AsSpan(offset, length);
                var at = new SpoolEntry(number, offset, length);
                offset += length + 1;
                if (length == 0)
                {
                    continue;
                }
                if (CallEventJson.FromUtf8(line) is not { } evt)
                {
                    unreadable++;
                    continue;
                }
                segment.Written++;
                if (acks.Contains(evt.Id))
                {
                    segment.Acked++;
                    continue;
                }
                found.Add((evt.RecordId, at));
            }
            spool._segments[number] = segment;
            spool._current = Math.Max(spool._current, number);
            spool.DeleteIfDone(number);
        }
        // New events go to a new segment: a line cut by a crash stays alone at the end of its file.
        spool._current++;
        pending = found;
        return spool;
    }

    /// <summary>
    /// Writes the events and fsyncs them; returns where each one is, in order. Events the disk refuses are kept in
    /// memory instead, so they are still delivered (a restart before that loses them): <paramref name="failure"/>
    /// then says why.
    /// </summary>
    public SpoolEntry[] Append(IReadOnlyList<SpooledEvent> events, out string? failure)
    {
        var entries = new SpoolEntry[events.Count];
        failure = null;
        lock (_gate)
        {
            var done = 0;
            while (done < events.Count && _folder is not null && failure is null)
            {
                try
                {
                    done += WriteSome(events, done, entries);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    failure = ex.Message;
                    // Bytes of a write cut short may have reached the file: what comes next starts a new segment.
                    _writer?.Dispose();
                    _writer = null;
                }
            }
            for (; done < events.Count; done++)
            {
                _inMemory[++_nextInMemory] = events[done];
                entries[done] = new SpoolEntry(0, _nextInMemory, 0);
            }
        }
        return entries;
    }

    /// <summary>The event at <paramref name="at"/>, read back; null when its bytes are no longer an event (the file was changed).</summary>
    public SpooledEvent? Read(SpoolEntry at)
    {
        lock (_gate)
        {
            if (at.InMemory)
            {
                return _inMemory.GetValueOrDefault(at.Offset);
            }
            if (!_segments.TryGetValue(at.Segment, out var segment))
            {
                return null;
            }
            segment.Reader ??= File.OpenHandle(EventsPath(at.Segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = ArrayPool<byte>.Shared.Rent(at.Length);
            try
            {
                var read = RandomAccess.Read(segment.Reader, buffer.AsSpan(0, at.Length), at.Offset);
                return read == at.Length ? CallEventJson.FromUtf8(buffer.AsSpan(0, read)) : null;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// The event is done with (delivered, or given up and kept in failed.jsonl). Its <paramref name="id"/> is what
    /// a restart recognises; without it (an event that could not be read back) only this run counts it done.
    /// </summary>
    public void Ack(SpoolEntry at, string? id)
    {
        lock (_gate)
        {
            if (at.InMemory)
            {
                _inMemory.Remove(at.Offset);
                return;
            }
            if (!_segments.TryGetValue(at.Segment, out var segment))
            {
                return;
            }
            try
            {
                if (id is not null)
                {
                    WriteAck(at.Segment, segment, id);
                }
            }
            finally
            {
                segment.Acked++;
                DeleteIfDone(at.Segment);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
            foreach (var segment in _segments.Values)
            {
                segment.CloseFiles();
            }
        }
    }

    /// <summary>Writes as many of the events from <paramref name="first"/> as the current segment takes; returns how many.</summary>
    private int WriteSome(IReadOnlyList<SpooledEvent> events, int first, SpoolEntry[] entries)
    {
        if (_writer is null || !_segments.TryGetValue(_current, out var segment) || segment.Written >= EventsPerSegment)
        {
            segment = Roll();
        }
        var count = Math.Min(events.Count - first, EventsPerSegment - segment.Written);
        _text.ResetWrittenCount();
        for (var i = first; i < first + count; i++)
        {
            var offset = segment.Length + _text.WrittenCount;
            var length = (int)Encoding.UTF8.GetBytes(events[i].Json, _text);
            _text.Write("\n"u8);
            entries[i] = new SpoolEntry(_current, offset, length);
        }
        _writer!.Write(_text.WrittenSpan);
        _writer.Flush(flushToDisk: true);
        segment.Written += count;
        segment.Length += _text.WrittenCount;
        return count;
    }

    /// <summary>One line in the segment's <c>.acks</c>, written through to the file (a process killed after it still has it), not fsync'd.</summary>
    private void WriteAck(long number, Segment segment, string id)
    {
        _ackText.ResetWrittenCount();
        Encoding.UTF8.GetBytes(id, _ackText);
        _ackText.Write("\n"u8);
        try
        {
            // Unbuffered, as the events file: each ack is one write, and a failed one leaves nothing to flush later.
            segment.Acks ??= new FileStream(AckPath(number), FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
            segment.Acks.Write(_ackText.WrittenSpan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Opened again at the next ack: a disk that recovers takes the acks again.
            segment.Acks?.Dispose();
            segment.Acks = null;
            throw;
        }
    }

    private Segment Roll()
    {
        _writer?.Dispose();
        _writer = null;
        var previous = _current;
        if (_segments.ContainsKey(_current))
        {
            _current++;
        }
        // Unbuffered: what Write is given goes to the file at once, and a failed write leaves nothing to flush later.
        _writer = new FileStream(EventsPath(_current), FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        var segment = new Segment { Length = _writer.Position };
        _segments[_current] = segment;
        if (previous != _current)
        {
            DeleteIfDone(previous);
        }
        return segment;
    }

    private void DeleteIfDone(long number)
    {
        if (number == _current && _writer is not null)
        {
            return;
        }
        if (_segments.TryGetValue(number, out var segment) && segment.Acked >= segment.Written)
        {
            segment.CloseFiles();
            File.Delete(EventsPath(number));
            File.Delete(AckPath(number));
            _segments.Remove(number);
        }
    }

    private string EventsPath(long number) => Path.Combine(_folder!, number.ToString("D8", CultureInfo.InvariantCulture) + ".events");

    private string AckPath(long number) => Path.Combine(_folder!, number.ToString("D8", CultureInfo.InvariantCulture) + ".acks");

    private sealed class Segment
    {
        public int Written;
        public int Acked;
        public long Length;
        public SafeFileHandle? Reader;
        public FileStream? Acks;

        public void CloseFiles()
        {
            Reader?.Dispose();
            Reader = null;
            Acks?.Dispose();
            Acks = null;
        }
    }
}
