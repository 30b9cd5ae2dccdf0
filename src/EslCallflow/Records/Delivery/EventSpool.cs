using System.Globalization;
using System.Text;

namespace EslCallflow.Records.Delivery;

/// <summary>
/// One destination's events on disk, so what is not delivered yet survives a restart. Events are appended to
/// numbered segment files (<c>00000001.events</c>, one JSON event a line), fsync'd before they are queued for
/// delivery; each delivered (or given-up) event's id is appended to the segment's <c>.acks</c> file. A segment
/// whose every event is acknowledged is deleted. Acks are not fsync'd: one lost in a crash only sends that event
/// again (delivery is at least once). On start, every event not acknowledged is read back, in the order written.
/// </summary>
/// <remarks>Not thread-safe: its <see cref="DeliveryBacklog"/> calls it under its lock.</remarks>
public sealed class EventSpool : IDisposable
{
    private const int EventsPerSegment = 1000;
    private readonly string? _folder;
    private readonly Dictionary<long, Segment> _segments = [];
    private long _current;
    private FileStream? _writer;

    private EventSpool(string? folder)
    {
        _folder = folder;
    }

    /// <summary>Where it keeps its files; null for a spool kept in memory only.</summary>
    public string? Folder => _folder;

    /// <summary>A spool that keeps nothing on disk (its folder could not be used): events survive no restart.</summary>
    public static EventSpool InMemory() => new(null);

    /// <summary>Opens (or creates) the spool in <paramref name="folder"/>; returns the events still pending, in order.</summary>
    public static EventSpool Open(string folder, out IReadOnlyList<SpooledEvent> pending, out int unreadable)
    {
        Directory.CreateDirectory(folder);
        var spool = new EventSpool(folder);
        var found = new List<SpooledEvent>();
        unreadable = 0;
        foreach (var file in Directory.GetFiles(folder, "*.events").Order(StringComparer.Ordinal))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                continue;
            }
            var acks = File.Exists(spool.AckPath(number))
                ? new HashSet<string>(File.ReadAllLines(spool.AckPath(number)), StringComparer.Ordinal)
                : [];
            var segment = new Segment();
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length == 0)
                {
                    continue;
                }
                if (CallEventJson.FromLine(line) is not { } evt)
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
                evt.Segment = number;
                found.Add(evt);
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

    /// <summary>Appends the events and fsyncs them; throws IOException when the disk refuses.</summary>
    public void Append(IReadOnlyList<SpooledEvent> events)
    {
        if (events.Count == 0 || _folder is null)
        {
            return;
        }
        var text = new StringBuilder();
        foreach (var evt in events)
        {
            if (_writer is null || !_segments.TryGetValue(_current, out var open) || open.Written >= EventsPerSegment)
            {
                Roll(text);
            }
            text.Append(evt.Json).Append('\n');
            evt.Segment = _current;
            _segments[_current].Written++;
        }
        Write(text);
    }

    /// <summary>The event is done with (delivered, or given up and kept in failed.jsonl).</summary>
    public void Ack(SpooledEvent evt)
    {
        if (_folder is null || evt.Segment == 0 || !_segments.TryGetValue(evt.Segment, out var segment))
        {
            return;
        }
        using (var acks = new FileStream(AckPath(evt.Segment), FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            acks.Write(Encoding.UTF8.GetBytes(evt.Id + "\n"));
        }
        segment.Acked++;
        DeleteIfDone(evt.Segment);
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }

    private void Roll(StringBuilder pendingText)
    {
        Write(pendingText);
        _writer?.Dispose();
        var previous = _current;
        if (_segments.ContainsKey(_current))
        {
            _current++;
        }
        _segments[_current] = new Segment();
        _writer = new FileStream(EventsPath(_current), FileMode.Append, FileAccess.Write, FileShare.Read);
        if (previous != _current)
        {
            DeleteIfDone(previous);
        }
    }

    private void Write(StringBuilder text)
    {
        if (text.Length == 0 || _writer is null)
        {
            return;
        }
        _writer.Write(Encoding.UTF8.GetBytes(text.ToString()));
        _writer.Flush(flushToDisk: true);
        text.Clear();
    }

    private void DeleteIfDone(long number)
    {
        if (number == _current && _writer is not null)
        {
            return;
        }
        if (_segments.TryGetValue(number, out var segment) && segment.Acked >= segment.Written)
        {
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
    }
}
