using System.Buffers;
using System.Text;
using System.Text.Json;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// A whole json event's headers left in its UTF-8 body with an index of where each name and value sits; a value
/// becomes a string only when it is read (escapes resolved then, as <see cref="PackedHeaders.FromJson"/> resolves
/// them when it packs). Built in one pass of <see cref="Utf8JsonReader"/>. Only whole json events take this form:
/// frames, plain and xml events are packed, selected events are an array (<see cref="EslHeaders"/>).
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
    private readonly Entry[] _entries;

    private HeaderIndex(ReadOnlyMemory<byte> json, Entry[] entries)
    {
        _json = json;
        _entries = entries;
    }

    /// <summary>
    /// Indexes a json event object; <paramref name="body"/> receives the <c>_body</c> member, if any. Null when a
    /// header name uses json escapes or holds bytes that are not UTF-8 (FreeSWITCH never sends either): the caller
    /// then packs the event (<see cref="PackedHeaders.FromJson"/>), which stores such a name as the text it reads as.
    /// </summary>
    /// <exception cref="EslProtocolException">Not a well-formed json object (the messages of <see cref="PackedHeaders.FromJson"/>).</exception>
    public static HeaderIndex? FromJson(ReadOnlyMemory<byte> json, out string? body)
    {
        body = null;
        // Collected in a rented buffer and copied out at the exact size: a CHANNEL_* event has ~150-200
        // headers, and growing an array by doubling would allocate twice what is kept.
        var entries = ArrayPool<Entry>.Shared.Rent(256);
        var count = 0;
        try
        {
            var span = json.Span;
            var reader = new Utf8JsonReader(span, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new EslProtocolException("json event is not an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped || !IsUtf8(reader.ValueSpan))
                {
                    return null;
                }
                var nameStart = (int)reader.TokenStartIndex + 1;
                var nameLength = reader.ValueSpan.Length;
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                Kind kind;
                int valueLength;
                if (reader.TokenType == JsonTokenType.String)
                {
                    kind = reader.ValueIsEscaped ? Kind.EscapedString : Kind.Text;
                    valueStart++;
                    valueLength = reader.ValueSpan.Length;
                }
                else if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    // FreeSWITCH sends arrays for multi-valued headers; their json text is the value.
                    reader.Skip();
                    kind = Kind.Text;
                    valueLength = (int)reader.BytesConsumed - valueStart;
                }
                else
                {
                    // A number or a literal: its text.
                    kind = Kind.Text;
                    valueLength = reader.ValueSpan.Length;
                }
                var entry = new Entry(nameStart, nameLength, valueStart, valueLength, kind);
                if (span.Slice(nameStart, nameLength).SequenceEqual("_body"u8))
                {
                    body = Decode(span, entry);
                    continue;
                }
                if (count == entries.Length)
                {
                    var larger = ArrayPool<Entry>.Shared.Rent(count * 2);
                    entries.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<Entry>.Shared.Return(entries);
                    entries = larger;
                }
                entries[count++] = entry;
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new EslProtocolException("json event ends before its closing brace");
            }
            return new HeaderIndex(json, entries.AsSpan(0, count).ToArray());
        }
        catch (JsonException ex)
        {
            throw new EslProtocolException($"invalid json event: {ex.Message}", ex);
        }
        finally
        {
            ArrayPool<Entry>.Shared.Return(entries);
        }
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
            if (entry.NameLength == nameBytes && span.Slice(entry.NameStart, entry.NameLength).SequenceEqual(utf8Name))
            {
                return Decode(span, entry);
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
            values[Encoding.UTF8.GetString(span.Slice(entry.NameStart, entry.NameLength))] = Decode(span, entry);
        }
        return values;
    }

    // Invalid UTF-8 and lone surrogate escapes read as U+FFFD: a header read must never throw (see JsonStrings).
    private static string Decode(ReadOnlySpan<byte> json, in Entry entry) => entry.Kind == Kind.EscapedString
        ? JsonStrings.Decode(json.Slice(entry.ValueStart, entry.ValueLength))
        : Encoding.UTF8.GetString(json.Slice(entry.ValueStart, entry.ValueLength));

    private static bool IsUtf8(ReadOnlySpan<byte> name) => Ascii.IsValid(name) || System.Text.Unicode.Utf8.IsValid(name);

    private enum Kind : byte
    {
        /// <summary>Its bytes are its text: an unescaped string, or the json text of a number, literal, array or object.</summary>
        Text,
        EscapedString,
    }

    private readonly record struct Entry(int NameStart, int NameLength, int ValueStart, int ValueLength, Kind Kind);
}
