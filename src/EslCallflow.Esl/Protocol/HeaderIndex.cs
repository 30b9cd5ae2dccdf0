using System.Buffers;
using System.Text;
using System.Text.Json;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// A json event's headers left in its UTF-8 bytes with an index of where each name and value sits; a value
/// becomes a string only when asked for. Indexed in one pass of <see cref="Utf8JsonReader"/>: a busy switch sends
/// thousands of ~6 KB CHANNEL_* events a second and the daemon reads a handful of their ~150 fields.
/// </summary>
internal sealed class HeaderIndex : IHeaderLookup
{
    private readonly ReadOnlyMemory<byte> _json;
    private readonly Entry[] _entries;
    private readonly int _count;

    private HeaderIndex(ReadOnlyMemory<byte> json, Entry[] entries, int count)
    {
        _json = json;
        _entries = entries;
        _count = count;
    }

    /// <summary>
    /// Indexes a json event object; <paramref name="body"/> receives the <c>_body</c> member, if any. Null when a
    /// header name uses json escapes (FreeSWITCH never sends one): the caller then decodes eagerly.
    /// </summary>
    /// <exception cref="JsonException">Not well-formed json.</exception>
    /// <exception cref="FormatException">Json, but not an object.</exception>
    public static HeaderIndex? FromJson(ReadOnlyMemory<byte> json, out string? body, out bool endedCleanly)
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
                throw new FormatException("json event is not an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameStart = (int)reader.TokenStartIndex + 1;
                var nameLength = reader.HasValueSequence ? 0 : reader.ValueSpan.Length;
                var nameEscaped = reader.ValueIsEscaped;
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                Kind kind;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        kind = reader.ValueIsEscaped ? Kind.EscapedString : Kind.String;
                        valueStart++;
                        break;
                    case JsonTokenType.StartArray or JsonTokenType.StartObject:
                        // FreeSWITCH sends arrays for multi-valued headers; their json text is the value.
                        reader.Skip();
                        kind = Kind.Raw;
                        break;
                    default:
                        kind = Kind.Raw;
                        break;
                }
                var valueEnd = kind == Kind.Raw ? (int)reader.BytesConsumed : valueStart + reader.ValueSpan.Length;
                if (nameEscaped)
                {
                    endedCleanly = false;
                    return null;
                }
                if (IsBodyName(span.Slice(nameStart, nameLength)))
                {
                    body = Decode(span, new Entry(0, 0, valueStart, valueEnd - valueStart, kind));
                    continue;
                }
                if (count == entries.Length)
                {
                    var larger = ArrayPool<Entry>.Shared.Rent(count * 2);
                    entries.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<Entry>.Shared.Return(entries);
                    entries = larger;
                }
                entries[count++] = new Entry(nameStart, nameLength, valueStart, valueEnd - valueStart, kind);
            }
            endedCleanly = reader.TokenType == JsonTokenType.EndObject;
            return new HeaderIndex(json, entries.AsSpan(0, count).ToArray(), count);
        }
        finally
        {
            ArrayPool<Entry>.Shared.Return(entries);
        }
    }

    /// <summary>The last value named <paramref name="name"/> (FreeSWITCH's own lookup keeps the last), or null.</summary>
    public string? Find(string name)
    {
        var span = _json.Span;
        if (!Ascii.IsValid(name))
        {
            return FindUtf8(span, Encoding.UTF8.GetBytes(name));
        }
        for (var i = _count - 1; i >= 0; i--)
        {
            ref readonly var entry = ref _entries[i];
            if (entry.NameLength == name.Length && AsciiEquals(span.Slice(entry.NameStart, entry.NameLength), name))
            {
                return Decode(span, entry);
            }
        }
        return null;
    }

    private string? FindUtf8(ReadOnlySpan<byte> span, ReadOnlySpan<byte> name)
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            ref readonly var entry = ref _entries[i];
            if (span.Slice(entry.NameStart, entry.NameLength).SequenceEqual(name))
            {
                return Decode(span, entry);
            }
        }
        return null;
    }

    public Dictionary<string, string> Materialize()
    {
        var span = _json.Span;
        var values = new Dictionary<string, string>(_count, StringComparer.Ordinal);
        for (var i = 0; i < _count; i++)
        {
            ref readonly var entry = ref _entries[i];
            values[Encoding.UTF8.GetString(span.Slice(entry.NameStart, entry.NameLength))] = Decode(span, entry);
        }
        return values;
    }

    // Invalid UTF-8 and lone surrogate escapes read as U+FFFD: a header read must never throw (see JsonStrings).
    private static string Decode(ReadOnlySpan<byte> json, in Entry entry) => entry.Kind switch
    {
        Kind.EscapedString => JsonStrings.Decode(json.Slice(entry.ValueStart, entry.ValueLength)),
        _ => Encoding.UTF8.GetString(json.Slice(entry.ValueStart, entry.ValueLength)),
    };

    private static bool IsBodyName(ReadOnlySpan<byte> name) => name.SequenceEqual("_body"u8);

    private static bool AsciiEquals(ReadOnlySpan<byte> utf8, string name)
    {
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] != name[i] || utf8[i] >= 0x80)
            {
                return false;
            }
        }
        return true;
    }

    private enum Kind : byte
    {
        String,
        EscapedString,
        Raw,
    }

    private readonly record struct Entry(int NameStart, int NameLength, int ValueStart, int ValueLength, Kind Kind);
}
