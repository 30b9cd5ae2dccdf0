using System.Buffers;
using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// Headers decoded whole (a frame's header block, a plain or xml event) in one UTF-8 buffer and nothing else,
/// each value turned into a string only when it is read. Each header is its name, its decoded value, then the
/// value's and the name's lengths, written so that they read backwards: a lookup walks from the end, where a
/// repeated name's last value (the one FreeSWITCH keeps) is met first. A call's channel data (~200 headers, kept
/// for the whole call) is 12 KB smaller than a dictionary of strings, and a separate index of positions would be
/// as large as the text itself (BENCHMARKS.md, session 5). A whole json event is indexed in its body instead
/// (<see cref="HeaderIndex"/>, faster to build).
/// </summary>
internal sealed class PackedHeaders
{
    // A length takes 1 to 5 bytes (7 bits each); a header therefore costs at most this much over its text.
    private const int MaxLengthBytes = 10;

    private readonly byte[] _buffer;

    private PackedHeaders(byte[] buffer, int count)
    {
        _buffer = buffer;
        Count = count;
    }

    private int Count { get; }

    /// <summary>Packs decoded headers (names and values as they are).</summary>
    public static PackedHeaders Pack(IReadOnlyCollection<KeyValuePair<string, string>> headers)
    {
        var builder = new Builder(headers.Count * 64);
        try
        {
            foreach (var (name, value) in headers)
            {
                var room = builder.Reserve(Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value));
                var nameLength = Encoding.UTF8.GetBytes(name, room);
                var valueLength = Encoding.UTF8.GetBytes(value, room[nameLength..]);
                builder.Commit(nameLength, valueLength);
            }
            return builder.ToPacked();
        }
        finally
        {
            builder.Dispose();
        }
    }

    /// <summary>The last value named <paramref name="name"/>, or null.</summary>
    public string? Find(string name)
    {
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        Span<byte> utf8Name = nameBytes <= 256 ? stackalloc byte[nameBytes] : new byte[nameBytes];
        Encoding.UTF8.GetBytes(name, utf8Name);
        var span = _buffer.AsSpan();
        var end = span.Length;
        while (end > 0)
        {
            var (nameStart, nameLength, valueLength) = Previous(span, ref end);
            if (span.Slice(nameStart, nameLength).SequenceEqual(utf8Name))
            {
                return Encoding.UTF8.GetString(span.Slice(nameStart + nameLength, valueLength));
            }
        }
        return null;
    }

    /// <summary>Every header, in the order received; a repeated name holds its last value.</summary>
    public Dictionary<string, string> Materialize()
    {
        var span = _buffer.AsSpan();
        var ends = new int[Count];
        var end = span.Length;
        for (var i = Count - 1; i >= 0; i--)
        {
            ends[i] = end;
            Previous(span, ref end);
        }
        var values = new Dictionary<string, string>(Count, StringComparer.Ordinal);
        foreach (var recordEnd in ends)
        {
            var at = recordEnd;
            var (nameStart, nameLength, valueLength) = Previous(span, ref at);
            values[Encoding.UTF8.GetString(span.Slice(nameStart, nameLength))] = Encoding.UTF8.GetString(span.Slice(nameStart + nameLength, valueLength));
        }
        return values;
    }

    /// <summary>The header that ends at <paramref name="end"/>; moves <paramref name="end"/> to its start.</summary>
    private static (int NameStart, int NameLength, int ValueLength) Previous(ReadOnlySpan<byte> span, ref int end)
    {
        var nameLength = ReadLengthBackwards(span, ref end);
        var valueLength = ReadLengthBackwards(span, ref end);
        end -= nameLength + valueLength;
        return (end, nameLength, valueLength);
    }

    // The byte nearest the text has its top bit clear; the ones after it (read first) have it set.
    private static int ReadLengthBackwards(ReadOnlySpan<byte> span, ref int end)
    {
        var length = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[--end];
            length |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return length;
            }
        }
    }

    private static int WriteLength(Span<byte> to, int length)
    {
        var groups = 1;
        for (var rest = length >> 7; rest > 0; rest >>= 7)
        {
            groups++;
        }
        for (var i = 0; i < groups; i++)
        {
            var group = (length >> (7 * (groups - 1 - i))) & 0x7F;
            to[i] = (byte)(i == 0 ? group : group | 0x80);
        }
        return groups;
    }

    /// <summary>
    /// The packed form as a walker feeds it (<see cref="IHeaderSink"/>): each header decoded straight into a rented
    /// buffer, copied out at its exact size by <see cref="ToPacked"/>. <see cref="Dispose"/> returns the buffer.
    /// </summary>
    public struct Builder(int capacity) : IHeaderSink, IDisposable
    {
        private byte[] _rented = ArrayPool<byte>.Shared.Rent(capacity);
        private int _written;
        private int _count;

        /// <summary>Room for the bytes walked plus the lengths the headers in them can cost.</summary>
        public static Builder For(ReadOnlySpan<byte> walked) => new(walked.Length + 256);

        public void Add(ReadOnlySpan<byte> source, in WireHeader header)
        {
            // Decoding never lengthens a name or a value.
            var room = Reserve(header.NameLength + header.ValueLength);
            var nameLength = header.CopyName(source, room);
            Commit(nameLength, header.CopyValue(source, room[nameLength..]));
        }

        /// <summary>Room for a header of at most <paramref name="textBytes"/> bytes of name and value.</summary>
        public Span<byte> Reserve(int textBytes)
        {
            if (_rented.Length - _written < textBytes + MaxLengthBytes)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_rented.Length * 2, _written + textBytes + MaxLengthBytes));
                _rented.AsSpan(0, _written).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_rented);
                _rented = larger;
            }
            return _rented.AsSpan(_written, textBytes);
        }

        public void Commit(int nameLength, int valueLength)
        {
            if (!System.Text.Unicode.Utf8.IsValid(_rented.AsSpan(_written, nameLength)))
            {
                // A name is looked up by its text, where bytes that are not UTF-8 read as U+FFFD: store that text
                // (rare: FreeSWITCH passes such bytes through, see JsonStrings).
                var name = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(_rented.AsSpan(_written, nameLength)));
                var value = _rented.AsSpan(_written + nameLength, valueLength).ToArray();
                var room = Reserve(name.Length + valueLength);
                name.CopyTo(room);
                value.CopyTo(room[name.Length..]);
                nameLength = name.Length;
            }
            _written += nameLength + valueLength;
            _written += WriteLength(_rented.AsSpan(_written), valueLength);
            _written += WriteLength(_rented.AsSpan(_written), nameLength);
            _count++;
        }

        public readonly PackedHeaders ToPacked() => new(_rented.AsSpan(0, _written).ToArray(), _count);

        public readonly void Dispose() => ArrayPool<byte>.Shared.Return(_rented);
    }
}
