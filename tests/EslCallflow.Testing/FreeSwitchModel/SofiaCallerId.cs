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
    /// What the phone a leg rings shows as the caller's name: the From display name sofia_glue.c
    /// <c>sofia_glue_do_invite</c> writes (<c>sip_from_display</c> when the leg has it, else the caller profile's name,
    /// see <see cref="ProfileName"/>), read back as the phone reads it. Null when the leg names no caller id name
    /// (FreeSWITCH then sends the caller's own, which this model does not know).
    /// </summary>
    public static string? OnPhone(ParsedLeg leg) =>
        leg.ChannelVariables.TryGetValue("sip_from_display", out var display) ? Displayed(display)
        : ProfileName(leg) is { } name ? Displayed(name) : null;

    /// <summary>
    /// The leg's caller profile name when mod_sofia sends the INVITE (also the Remote-Party-ID / P-Asserted-Identity
    /// name, and Caller-Caller-ID-Name in the leg's events): <c>origination_caller_id_name</c>
    /// (switch_ivr_originate.c), cut by <see cref="SanitizeNumber"/> when mod_sofia.c <c>sofia_outgoing_channel</c>
    /// makes the leg (a <c>user/</c> leg becomes a sofia one), then changed by the leg's <c>execute_on_originate*</c>
    /// applications (switch_channel.c <c>switch_channel_execute_on</c>, run before the leg's thread starts).
    /// </summary>
    public static string? ProfileName(ParsedLeg leg)
    {
        if (leg.CallerIdName is not { } name)
        {
            return null;
        }
        if (leg.Endpoint.StartsWith("user/", StringComparison.OrdinalIgnoreCase) || leg.Endpoint.StartsWith("sofia/", StringComparison.OrdinalIgnoreCase))
        {
            name = SanitizeNumber(name);
        }
        foreach (var (variable, value) in leg.ChannelVariables)
        {
            if (variable.StartsWith("execute_on_originate", StringComparison.OrdinalIgnoreCase))
            {
                name = ExecuteOn(value, name, leg.ChannelVariables);
            }
        }
        return name;
    }

    /// <summary>
    /// switch_utils.h <c>switch_sanitize_number</c>: with a '/', ':' or '@' in it, the text is cut at its first '@'
    /// (each last '@' in turn becomes the end), then only what follows its last '/' is kept, then only what follows
    /// the last ':' of that.
    /// </summary>
    public static string SanitizeNumber(string number)
    {
        if (number.AsSpan().IndexOfAny("/:@") < 0)
        {
            return number;
        }
        var at = number.IndexOf('@', StringComparison.Ordinal);
        var p = at >= 0 ? number[..at] : number;
        foreach (var warp in "/:")
        {
            var last = p.LastIndexOf(warp);
            if (last >= 0)
            {
                p = p[(last + 1)..];
            }
        }
        return p;
    }

    /// <summary>
    /// switch_channel.c <c>switch_channel_execute_on_value</c> for the one application that touches the caller id
    /// name: the application ends at the first space or at a ':' not followed by another; switch_core_session.c
    /// <c>switch_core_session_exec</c> expands the argument once; mod_dptools.c <c>set_profile_var_function</c>
    /// splits it once on '=' (an empty value blanks the field).
    /// </summary>
    private static string ExecuteOn(string value, string name, IReadOnlyDictionary<string, string> channel)
    {
        var end = 0;
        while (end < value.Length && value[end] != ' ' && !(value[end] == ':' && (end + 1 >= value.Length || value[end + 1] != ':')))
        {
            end++;
        }
        if (!value[..end].Equals("set_profile_var", StringComparison.OrdinalIgnoreCase) || end >= value.Length)
        {
            return name;
        }
        var argument = VariableExpansion.Expand(value[(end + 1)..], channel).Text;
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0 || !argument[..equals].Equals("caller_id_name", StringComparison.OrdinalIgnoreCase))
        {
            return name;
        }
        return argument[(equals + 1)..];
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
