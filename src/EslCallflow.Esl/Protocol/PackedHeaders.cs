using System.Buffers;
using System.Text;
using System.Text.Json;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// Headers decoded whole (a frame's header block, a plain or xml event) in one UTF-8 buffer and nothing else,
/// each value turned into a string only when it is read. Each header is its name, its decoded value, then the
/// value's and the name's lengths, written so that they read backwards: a lookup walks from the end, where a
/// repeated name's last value (the one FreeSWITCH keeps) is met first. A call's channel data (~200 headers, kept
/// for the whole call) is 12 KB smaller than a dictionary of strings, and a separate index of positions would be
/// as large as the text itself (BENCHMARKS.md, session 5). A whole json event is indexed in its body instead
/// (<see cref="HeaderIndex"/>, faster to build), and packed only when a header name is escaped or not UTF-8.
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

    /// <summary>
    /// Packs a block of <c>Name: url-encoded value</c> lines as it decodes them, no string per header. The block
    /// must be whole lines, each ending in LF.
    /// </summary>
    public static PackedHeaders FromHeaderLines(ReadOnlySequence<byte> block)
    {
        // Decoding never makes a line longer and drops ": " and LF; the lengths can cost more than those 3 bytes
        // on long lines, so the rented buffer grows when a line would not fit.
        var writer = new Writer((int)block.Length + 256);
        try
        {
            var reader = new SequenceReader<byte>(block);
            while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                var span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
                EslFrameParser.SplitHeaderLine(span, out var name, out var value);
                var room = writer.Reserve(name.Length + value.Length);
                name.CopyTo(room);
                var valueLength = PercentDecoding.DecodeInto(value, room[name.Length..]);
                writer.Commit(name.Length, valueLength);
            }
            return writer.ToPacked();
        }
        finally
        {
            writer.Return();
        }
    }

    /// <summary>
    /// Packs a plain event's <c>Name: url-encoded value</c> lines up to the blank line that ends them (LF or CRLF);
    /// <paramref name="rest"/> is what follows it (a BACKGROUND_JOB's body).
    /// </summary>
    public static PackedHeaders FromHeaderBlock(ReadOnlySpan<byte> block, out ReadOnlySpan<byte> rest)
    {
        var writer = new Writer(block.Length + 256);
        try
        {
            while (EslFrameParser.TryTakeHeaderLine(ref block, out var name, out var value))
            {
                var room = writer.Reserve(name.Length + value.Length);
                name.CopyTo(room);
                writer.Commit(name.Length, PercentDecoding.DecodeInto(value, room[name.Length..]));
            }
            rest = block;
            return writer.ToPacked();
        }
        finally
        {
            writer.Return();
        }
    }

    /// <summary>
    /// Packs a json event object: every member but <c>_body</c>, which <paramref name="body"/> receives. A string's
    /// escapes are resolved as it is packed (see <see cref="JsonStrings"/>: nothing FreeSWITCH sends fails a read);
    /// an array or object (a multi-valued header) keeps its json text, as does a number.
    /// </summary>
    /// <exception cref="EslProtocolException">Not a well-formed json object.</exception>
    public static PackedHeaders FromJson(ReadOnlySpan<byte> json, out string? body)
    {
        body = null;
        var writer = new Writer(json.Length + 256);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new EslProtocolException("json event is not an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var nameEscaped = reader.ValueIsEscaped;
                reader.Read();
                var valueEscaped = reader.TokenType == JsonTokenType.String && reader.ValueIsEscaped;
                ReadOnlySpan<byte> value;
                if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    value = json[start..(int)reader.BytesConsumed];
                }
                else
                {
                    value = reader.ValueSpan;
                }
                var room = writer.Reserve(name.Length + value.Length);
                var nameLength = nameEscaped ? JsonStrings.UnescapeInto(name, room) : Copy(name, room);
                if (room[..nameLength].SequenceEqual("_body"u8))
                {
                    body = valueEscaped ? JsonStrings.Decode(value) : Encoding.UTF8.GetString(value);
                    continue;
                }
                writer.Commit(nameLength, valueEscaped ? JsonStrings.UnescapeInto(value, room[nameLength..]) : Copy(value, room[nameLength..]));
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new EslProtocolException("json event ends before its closing brace");
            }
            return writer.ToPacked();
        }
        catch (JsonException ex)
        {
            throw new EslProtocolException($"invalid json event: {ex.Message}", ex);
        }
        finally
        {
            writer.Return();
        }
    }

    private static int Copy(ReadOnlySpan<byte> from, Span<byte> to)
    {
        from.CopyTo(to);
        return from.Length;
    }

    /// <summary>Packs decoded headers (names and values as they are).</summary>
    public static PackedHeaders Pack(IReadOnlyCollection<KeyValuePair<string, string>> headers)
    {
        var writer = new Writer(headers.Count * 64);
        try
        {
            foreach (var (name, value) in headers)
            {
                var room = writer.Reserve(Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value));
                var nameLength = Encoding.UTF8.GetBytes(name, room);
                var valueLength = Encoding.UTF8.GetBytes(value, room[nameLength..]);
                writer.Commit(nameLength, valueLength);
            }
            return writer.ToPacked();
        }
        finally
        {
            writer.Return();
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

    /// <summary>Builds the buffer in a rented array, then copies it out at its exact size.</summary>
    private struct Writer(int capacity)
    {
        private byte[] _rented = ArrayPool<byte>.Shared.Rent(capacity);
        private int _written;
        private int _count;

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

        public readonly void Return() => ArrayPool<byte>.Shared.Return(_rented);
    }
}
