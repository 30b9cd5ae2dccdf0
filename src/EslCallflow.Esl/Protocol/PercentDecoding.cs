using System.Buffers;
using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// FreeSWITCH's url-encoding of header values (switch_url_encode): %XX escapes of UTF-8 bytes, '+' kept
/// as a literal. A '%' not followed by two hex digits is kept, so a stray percent never fails a frame.
/// </summary>
internal static class PercentDecoding
{
    public static string Decode(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IndexOf((byte)'%') < 0)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        byte[]? rented = null;
        var buffer = utf8.Length <= 512 ? stackalloc byte[utf8.Length] : (rented = ArrayPool<byte>.Shared.Rent(utf8.Length));
        try
        {
            return Encoding.UTF8.GetString(buffer[..DecodeInto(utf8, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Decodes into <paramref name="destination"/> (at least as long as the input: decoding never grows it); returns the bytes written.</summary>
    public static int DecodeInto(ReadOnlySpan<byte> utf8, Span<byte> destination)
    {
        var firstPercent = utf8.IndexOf((byte)'%');
        if (firstPercent < 0)
        {
            utf8.CopyTo(destination);
            return utf8.Length;
        }
        utf8[..firstPercent].CopyTo(destination);
        var written = firstPercent;
        for (var i = firstPercent; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b == '%' && i + 2 < utf8.Length && TryHex(utf8[i + 1], utf8[i + 2], out var decoded))
            {
                destination[written++] = decoded;
                i += 2;
            }
            else
            {
                destination[written++] = b;
            }
        }
        return written;
    }

    public static string Decode(string value) =>
        value.Contains('%', StringComparison.Ordinal) ? Decode(Encoding.UTF8.GetBytes(value)) : value;

    private static bool TryHex(byte hi, byte lo, out byte value)
    {
        var h = HexValue(hi);
        var l = HexValue(lo);
        value = (byte)((h << 4) | l);
        return h >= 0 && l >= 0;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
