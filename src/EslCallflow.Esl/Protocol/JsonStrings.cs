using System.Buffers;
using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// A json string as FreeSWITCH writes it, turned into text without ever failing on its content. FreeSWITCH's cJSON
/// copies a value's bytes as they are and escapes only <c>"</c>, <c>\</c> and control characters
/// (src/cJSON.c, <c>print_string_ptr</c>, used by <c>switch_event_serialize_json</c>), so a byte that is not UTF-8 (a caller's From
/// URI, a presence id) reaches the event untouched. <see cref="System.Text.Json.Utf8JsonReader.GetString"/> throws
/// <see cref="InvalidOperationException"/> on such a byte, and on a lone surrogate escape like <c>\ud800</c>: one odd
/// header would then fail every read of its event. Here both become U+FFFD, as <see cref="Encoding.UTF8"/> does for
/// plain and url-encoded values.
/// </summary>
internal static class JsonStrings
{
    private const int Replacement = 0xFFFD;

    /// <summary>
    /// The text of a json string from its raw bytes between the quotes (escapes not yet resolved), as
    /// <see cref="System.Text.Json.Utf8JsonReader.ValueSpan"/> gives them once the reader has checked the token.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> raw)
    {
        var firstEscape = raw.IndexOf((byte)'\\');
        if (firstEscape < 0)
        {
            return Encoding.UTF8.GetString(raw);
        }

        // Resolving escapes never lengthens: \uXXXX (6 bytes) is at most 3 UTF-8 bytes, a surrogate pair (12) is 4.
        byte[]? rented = null;
        var buffer = raw.Length <= 512 ? stackalloc byte[raw.Length] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
        try
        {
            return Encoding.UTF8.GetString(buffer[..Unescape(raw, firstEscape, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The same, as UTF-8 bytes written to <paramref name="destination"/> (at least as long as <paramref name="raw"/>:
    /// resolving escapes never lengthens); returns the bytes written.
    /// </summary>
    public static int UnescapeInto(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        var firstEscape = raw.IndexOf((byte)'\\');
        if (firstEscape < 0)
        {
            raw.CopyTo(destination);
            return raw.Length;
        }
        return Unescape(raw, firstEscape, destination);
    }

    private static int Unescape(ReadOnlySpan<byte> raw, int firstEscape, Span<byte> destination)
    {
        raw[..firstEscape].CopyTo(destination);
        var written = firstEscape;
        var i = firstEscape;
        while (i < raw.Length)
        {
            var b = raw[i];
            if (b != (byte)'\\' || i + 1 >= raw.Length)
            {
                destination[written++] = b;
                i++;
                continue;
            }
            var escaped = raw[i + 1];
            i += 2;
            switch (escaped)
            {
                case (byte)'b': destination[written++] = (byte)'\b'; break;
                case (byte)'f': destination[written++] = (byte)'\f'; break;
                case (byte)'n': destination[written++] = (byte)'\n'; break;
                case (byte)'r': destination[written++] = (byte)'\r'; break;
                case (byte)'t': destination[written++] = (byte)'\t'; break;
                case (byte)'u' when TryHex4(raw, i, out var unit):
                    i += 4;
                    written += new Rune(ScalarOf(unit, raw, ref i)).EncodeToUtf8(destination[written..]);
                    break;
                default:
                    // '"', '\' and '/' stand for themselves; the reader has already refused any other escape.
                    destination[written++] = escaped;
                    break;
            }
        }
        return written;
    }

    /// <summary>The scalar for a \u code unit: a high surrogate takes the low one escaped right after it; a lone one is U+FFFD.</summary>
    private static int ScalarOf(int unit, ReadOnlySpan<byte> raw, ref int next)
    {
        if (!char.IsSurrogate((char)unit))
        {
            return unit;
        }
        if (char.IsHighSurrogate((char)unit)
            && next + 6 <= raw.Length && raw[next] == (byte)'\\' && raw[next + 1] == (byte)'u'
            && TryHex4(raw, next + 2, out var low) && char.IsLowSurrogate((char)low))
        {
            next += 6;
            return char.ConvertToUtf32((char)unit, (char)low);
        }
        return Replacement;
    }

    private static bool TryHex4(ReadOnlySpan<byte> raw, int at, out int value)
    {
        value = 0;
        if (at + 4 > raw.Length)
        {
            return false;
        }
        for (var k = 0; k < 4; k++)
        {
            var digit = HexValue(raw[at + k]);
            if (digit < 0)
            {
                return false;
            }
            value = (value << 4) | digit;
        }
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
