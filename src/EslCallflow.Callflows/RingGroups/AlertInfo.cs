namespace EslCallflow.Callflows.RingGroups;

/// <summary>
/// A ringtone as the Alert-Info header a phone can use. mod_sofia hands <c>sip_h_Alert-Info</c> to sofia-sip, which
/// parses it as an Alert-Info header (sip_extra.c <c>sip_alert_info_d</c> → <c>sip_name_addr_d</c>) and writes it back as
/// <c>&lt;uri&gt;;params</c> (<c>sip_alert_info_e</c>): <c>info=group-tone</c> reaches the phone as <c>&lt;info=group-tone&gt;</c>,
/// which no phone maps to a ring. Phones take the ring name from an <c>info=</c> parameter, so operators' forms become:
/// <list type="bullet">
/// <item><c>&lt;uri&gt;;params</c>: sent as written;</item>
/// <item><c>info=name</c> or a bare name (<c>Bellcore-dr2</c>): <c>&lt;http://127.0.0.1&gt;;info=name</c>;</item>
/// <item>a URI (<c>http://pbx/ring.wav</c>): <c>&lt;http://pbx/ring.wav&gt;</c>.</item>
/// </list>
/// </summary>
public static class AlertInfo
{
    /// <summary>The placeholder URI for a ring given by name only (phones read the <c>info</c> parameter).</summary>
    public const string NameOnlyUri = "<http://127.0.0.1>";

    private const string Expected = "is not a ringtone FreeSWITCH can send as Alert-Info: write a name (Bellcore-dr2), info=name, a URI (http://pbx/ring.wav) or <uri>;info=name";

    /// <summary>The header value for a ringtone that <see cref="Check"/> accepted.</summary>
    public static string Header(string ringtone)
    {
        if (ringtone.StartsWith('<'))
        {
            return ringtone;
        }
        if (ringtone.StartsWith("info=", StringComparison.OrdinalIgnoreCase))
        {
            return $"{NameOnlyUri};info={ringtone[5..]}";
        }
        return IsUri(ringtone) ? $"<{ringtone}>" : $"{NameOnlyUri};info={ringtone}";
    }

    /// <summary>Why <paramref name="ringtone"/> is not one of the accepted forms, or null.</summary>
    public static string? Check(string ringtone)
    {
        if (ringtone.StartsWith('<'))
        {
            var close = ringtone.IndexOf('>');
            return close > 1 && IsUriText(ringtone.AsSpan(1, close - 1)) && AreParameters(ringtone.AsSpan(close + 1)) ? null : Expected;
        }
        if (ringtone.StartsWith("info=", StringComparison.OrdinalIgnoreCase))
        {
            return IsParameterValue(ringtone.AsSpan(5)) ? null : Expected;
        }
        return IsUri(ringtone) || IsToken(ringtone) ? null : Expected;
    }

    /// <summary>scheme ":" then URI text (RFC 3986 scheme: a letter, then letters, digits, + - .).</summary>
    private static bool IsUri(string text)
    {
        var colon = text.IndexOf(':');
        if (colon < 1 || !char.IsAsciiLetter(text[0]) || colon == text.Length - 1)
        {
            return false;
        }
        foreach (var c in text.AsSpan(1, colon - 1))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                return false;
            }
        }
        var rest = text.AsSpan(colon + 1);
        return IsUriText(rest) && !rest.SequenceEqual("//");
    }

    /// <summary>What may stand between '&lt;' and '&gt;': no white space, controls, quotes or angle brackets.</summary>
    private static bool IsUriText(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (c <= ' ' || c is '<' or '>' or '"' or '\u007f')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>RFC 3261 <c>*( SEMI generic-param )</c>: <c>;name</c> or <c>;name=value</c>.</summary>
    private static bool AreParameters(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (text[0] != ';')
            {
                return false;
            }
            text = text[1..];
            var end = FindParameterEnd(text);
            var parameter = text[..end];
            var equals = parameter.IndexOf('=');
            if (equals < 0 ? !IsToken(parameter) : !IsToken(parameter[..equals]) || !IsParameterValue(parameter[(equals + 1)..]))
            {
                return false;
            }
            text = text[end..];
        }
        return true;
    }

    /// <summary>The next ';' outside a quoted-string, or the end.</summary>
    private static int FindParameterEnd(ReadOnlySpan<char> text)
    {
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == ';' && !quoted)
            {
                return i;
            }
        }
        return text.Length;
    }

    /// <summary>RFC 3261 gen-value: a token, or a quoted-string without '"' or '\' inside.</summary>
    private static bool IsParameterValue(ReadOnlySpan<char> value)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            foreach (var c in value[1..^1])
            {
                if (c < ' ' || c is '"' or '\\' or '\u007f')
                {
                    return false;
                }
            }
            return true;
        }
        return IsToken(value);
    }

    /// <summary>RFC 3261 token: alphanumerics and - . ! % * _ + ` ' ~.</summary>
    private static bool IsToken(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '!' or '%' or '*' or '_' or '+' or '`' or '\'' or '~'))
            {
                return false;
            }
        }
        return true;
    }
}
