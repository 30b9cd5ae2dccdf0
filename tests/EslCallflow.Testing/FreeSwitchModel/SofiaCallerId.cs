using System.Globalization;
using System.Text;

namespace EslCallflow.Testing.FreeSwitchModel;

/// <summary>
/// What a phone shows for a leg's caller id name. mod_sofia sofia_glue.c <c>sofia_glue_do_invite</c> runs the
/// profile's name through <c>check_decode</c> (mod_sofia.h) and writes the From header as <c>"%s" &lt;sip:...&gt;</c>;
/// the phone reads that display name as a SIP quoted-string (RFC 3261: <c>\x</c> is x).
/// </summary>
public static class SofiaCallerId
{
    /// <summary>The display name a phone reads, or null when the From header would not be a valid quoted-string.</summary>
    public static string? Displayed(string callerIdName)
    {
        var inQuotes = ReadQuotedString("\"" + CheckDecode(callerIdName) + "\"");
        return inQuotes;
    }

    /// <summary>
    /// mod_sofia.h <c>check_decode</c>: a value with '%' is URL-decoded (switch_utils.c <c>switch_url_decode</c>);
    /// then a value with '"' keeps only what lies between its first and its last '"'.
    /// </summary>
    public static string CheckDecode(string value)
    {
        if (value.Length == 0)
        {
            return value;
        }
        if (value.Contains('%', StringComparison.Ordinal))
        {
            value = UrlDecode(value);
        }
        var first = value.IndexOf('"');
        if (first >= 0)
        {
            value = value[(first + 1)..];
            var last = value.LastIndexOf('"');
            if (last >= 0)
            {
                value = value[..last];
            }
        }
        return value;
    }

    /// <summary>
    /// switch_utils.c <c>switch_url_decode</c>: '%' with more than two characters after it and <c>sscanf("%2x")</c>
    /// succeeding becomes that byte (the two characters skipped even when only one was hex).
    /// </summary>
    private static string UrlDecode(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var output = new List<byte>(bytes.Length);
        for (var s = 0; s < bytes.Length; s++)
        {
            if (bytes[s] == '%' && bytes.Length - s > 2 && ScanHex(bytes, s + 1) is { } decoded)
            {
                output.Add(decoded);
                s += 2;
            }
            else
            {
                output.Add(bytes[s]);
            }
        }
        return Encoding.UTF8.GetString(output.ToArray());
    }

    /// <summary><c>sscanf(s, "%2x", &amp;tmp)</c>: skips white space, takes an optional sign and up to two hex digits (the width counts the sign).</summary>
    private static byte? ScanHex(byte[] bytes, int at)
    {
        while (at < bytes.Length && bytes[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r')
        {
            at++;
        }
        var width = 2;
        var negative = false;
        if (at < bytes.Length && bytes[at] is (byte)'+' or (byte)'-')
        {
            negative = bytes[at] == '-';
            at++;
            width--;
        }
        var digits = 0;
        var value = 0;
        while (width > 0 && at < bytes.Length && Uri.IsHexDigit((char)bytes[at]))
        {
            value = value * 16 + int.Parse(((char)bytes[at]).ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            at++;
            width--;
            digits++;
        }
        return digits == 0 ? null : (byte)(negative ? -value : value);
    }

    /// <summary>RFC 3261 quoted-string: <c>"</c> *(qdtext / quoted-pair) <c>"</c>; null when malformed.</summary>
    private static string? ReadQuotedString(string text)
    {
        var result = new StringBuilder();
        for (var i = 1; i < text.Length - 1; i++)
        {
            var c = text[i];
            if (c == '\\')
            {
                if (i + 1 >= text.Length - 1)
                {
                    return null;
                }
                result.Append(text[++i]);
            }
            else if (c == '"')
            {
                return null;
            }
            else
            {
                result.Append(c);
            }
        }
        return result.ToString();
    }
}
