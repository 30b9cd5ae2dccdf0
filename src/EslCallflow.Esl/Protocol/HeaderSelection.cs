using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// The event headers a consumer reads. A CHANNEL_* event carries ~150 headers in ~6 KB and a channel tracker
/// reads a dozen: decoding only those, straight from the socket buffer, allocates a few hundred bytes per event
/// instead of a copy of the whole body, which is what keeps a busy feed from driving the garbage collector.
/// Matching works on the UTF-8 name as it sits in the buffer; the name strings are this selection's own.
/// </summary>
internal sealed class HeaderSelection
{
    /// <summary>What the connection itself routes on, kept whatever the consumer asks for.</summary>
    public static readonly IReadOnlyList<string> Routing = ["Event-Name", "Event-Subclass", "Unique-ID", "Job-UUID", "Application-UUID"];

    // Longer values (SDP, say) are rare in a selection and not worth keeping.
    private const int MaxCachedValueBytes = 64;
    private readonly (byte[] Utf8, string Name)[][] _byLength;
    // Recent values, reused (see Value). Kept because it pays (BENCHMARKS.md, "ESL framing and decoding", the
    // value cache): without it the json feed's selected decode took 910 µs and 158 KB per 160 events, with it 622 µs
    // and 87 KB; plain 263 KB without, 175 KB with.
    private readonly string?[] _recentValues = new string?[4096];

    public HeaderSelection(IEnumerable<string> names)
    {
        var distinct = names.Concat(Routing).Distinct(StringComparer.Ordinal).ToArray();
        var longest = distinct.Max(n => Encoding.UTF8.GetByteCount(n));
        _byLength = new (byte[], string)[longest + 1][];
        foreach (var group in distinct.Select(n => (Utf8: Encoding.UTF8.GetBytes(n), Name: n)).GroupBy(n => n.Utf8.Length))
        {
            _byLength[group.Key] = [.. group];
        }
        Count = distinct.Length;
    }

    public int Count { get; }

    /// <summary>
    /// The string for a selected header's value. A feed repeats the same few values (event names, call states,
    /// the UUID of a channel across its dozen events, a phone's presence id), so recent ones are reused
    /// instead of allocated again; all-digit values (timestamps) are unique and are not kept. One reader per
    /// selection (a connection's read loop); a race would only cost a miss, never a wrong string.
    /// </summary>
    public string Value(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxCachedValueBytes || utf8.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0 || !Ascii.IsValid(utf8))
        {
            return Encoding.UTF8.GetString(utf8);
        }
        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = (int)((uint)hash.ToHashCode() % (uint)_recentValues.Length);
        if (_recentValues[slot] is { } recent && Ascii.Equals(utf8, recent))
        {
            return recent;
        }
        var value = Encoding.ASCII.GetString(utf8);
        _recentValues[slot] = value;
        return value;
    }

    /// <summary>This selection's string for <paramref name="utf8Name"/>, or null when the header is not wanted.</summary>
    public string? Match(ReadOnlySpan<byte> utf8Name)
    {
        if (utf8Name.Length >= _byLength.Length || _byLength[utf8Name.Length] is not { } candidates)
        {
            return null;
        }
        foreach (var (utf8, name) in candidates)
        {
            if (utf8Name.SequenceEqual(utf8))
            {
                return name;
            }
        }
        return null;
    }
}

/// <summary>
/// The selected form as a walker feeds it: each header the selection names goes into one array (at most one entry
/// per name, a repeated one keeping its last value; the names are the selection's own strings), its value reused
/// from the selection's recent values where it can be (<see cref="HeaderSelection.Value"/>).
/// </summary>
internal struct SelectedHeaders(HeaderSelection selection) : IHeaderSink
{
    private int _count;

    /// <summary>The headers kept; the unused tail is left empty (null names), see <see cref="EslHeaders.Selected"/>.</summary>
    public KeyValuePair<string, string>[] Pairs { get; } = new KeyValuePair<string, string>[selection.Count];

    public void Add(ReadOnlySpan<byte> source, in WireHeader header)
    {
        var name = header.NameEscaped ? selection.Match(Encoding.UTF8.GetBytes(header.NameText(source))) : selection.Match(header.Name(source));
        if (name is null)
        {
            return;
        }
        var value = header.Encoding == WireEncoding.Verbatim ? selection.Value(header.Value(source)) : header.ValueText(source);
        var at = 0;
        while (at < _count && !ReferenceEquals(Pairs[at].Key, name))
        {
            at++;
        }
        Pairs[at] = new KeyValuePair<string, string>(name, value);
        _count = Math.Max(_count, at + 1);
    }
}
