using System.Buffers;
using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// A whole json event's headers left in its UTF-8 body with an index of where each name and value sits; a value
/// becomes a string only when it is read. Only whole json events take this form (the table in
/// <see cref="Messages.EslEventDecoder"/>): frames, plain and xml events are packed, selected events an array.
/// </summary>
/// <remarks>
/// Kept because the benchmark shows it pays (BENCHMARKS.md, "ESL framing and decoding",
/// <c>EslDecodingBenchmarks.FrameDecodeAndRead</c>, json capture, quiet machine): a whole json event took 4.7 µs
/// with this index and 10 to 13.6 µs packed, below the 100,000 json events/s target; brought back, 5.2 µs against
/// 9.4 µs packed on the same (loaded) machine ("Whole json events indexed again"). Packing copies and unescapes
/// every one of ~200 members where a reader wants half a dozen; the index only notes their positions. The body it
/// points into must never change: callers hand it an array of its own (a frame's copy of the body, or a copy made
/// for it), never the pooled read buffer.
/// </remarks>
internal sealed class HeaderIndex
{
    private readonly ReadOnlyMemory<byte> _json;
    private readonly WireHeader[] _entries;

    private HeaderIndex(ReadOnlyMemory<byte> json, WireHeader[] entries)
    {
        _json = json;
        _entries = entries;
    }

    /// <summary>The last value named <paramref name="name"/> (FreeSWITCH's own lookup keeps the last), or null.</summary>
    public string? Find(string name)
    {
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        Span<byte> utf8Name = nameBytes <= 256 ? stackalloc byte[nameBytes] : new byte[nameBytes];
        Encoding.UTF8.GetBytes(name, utf8Name);
        var span = _json.Span;
        var entries = _entries;
        for (var i = entries.Length - 1; i >= 0; i--)
        {
            ref readonly var entry = ref entries[i];
            var matches = entry.NameEscaped
                ? entry.NameText(span) == name
                : entry.NameLength == nameBytes && entry.Name(span).SequenceEqual(utf8Name);
            if (matches)
            {
                return entry.ValueText(span);
            }
        }
        return null;
    }

    /// <summary>Every header, in the order received; a repeated name holds its last value.</summary>
    public Dictionary<string, string> Materialize()
    {
        var span = _json.Span;
        var values = new Dictionary<string, string>(_entries.Length, StringComparer.Ordinal);
        foreach (ref readonly var entry in _entries.AsSpan())
        {
            values[entry.NameText(span)] = entry.ValueText(span);
        }
        return values;
    }

    /// <summary>
    /// The index as <see cref="JsonHeaders"/> feeds it: entries collected in a rented array and copied out at the
    /// exact size (a CHANNEL_* event has ~150-200 headers, and growing an array by doubling would allocate twice what
    /// is kept). <see cref="Dispose"/> returns the array.
    /// </summary>
    public struct Builder() : IHeaderSink, IDisposable
    {
        private WireHeader[] _entries = ArrayPool<WireHeader>.Shared.Rent(256);
        private int _count;

        public void Add(ReadOnlySpan<byte> source, in WireHeader header)
        {
            if (_count == _entries.Length)
            {
                var larger = ArrayPool<WireHeader>.Shared.Rent(_count * 2);
                _entries.AsSpan(0, _count).CopyTo(larger);
                ArrayPool<WireHeader>.Shared.Return(_entries);
                _entries = larger;
            }
            // A name is found by comparing its bytes, which works when they are its text: no json escape and valid
            // UTF-8, as every name FreeSWITCH sends. Any other is marked escaped, so it is compared by the text it
            // reads as (a byte that is not UTF-8 as U+FFFD, see JsonStrings), as a packed header's name is.
            var name = header.Name(source);
            _entries[_count++] = header.NameEscaped || Ascii.IsValid(name) || System.Text.Unicode.Utf8.IsValid(name)
                ? header
                : header with { NameEscaped = true };
        }

        /// <summary>The index into <paramref name="json"/>, the bytes walked, which it keeps: they must never change.</summary>
        public readonly HeaderIndex Build(ReadOnlyMemory<byte> json) => new(json, _entries.AsSpan(0, _count).ToArray());

        public readonly void Dispose() => ArrayPool<WireHeader>.Shared.Return(_entries);
    }
}
