using System.Text;

namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>A From/To/Contact value: <c>"Display" &lt;sip:user@host&gt;;tag=x</c> (RFC 3261 section 20.10 name-addr).</summary>
public sealed record NameAddress(string? DisplayName, string Uri, string? Tag)
{
    /// <summary>The user part of the URI (<c>1005</c> in <c>sip:1005@127.0.0.1</c>).</summary>
    public string User
    {
        get
        {
            var uri = Uri.StartsWith("sip:", StringComparison.OrdinalIgnoreCase) ? Uri[4..] : Uri;
            var at = uri.IndexOf('@', StringComparison.Ordinal);
            return at < 0 ? string.Empty : uri[..at];
        }
    }
}

/// <summary>Reading the parts of header values a phone needs.</summary>
public static class SipHeader
{
    /// <summary>A <c>;name=value</c> parameter of a header value (outside its &lt;uri&gt;), or null.</summary>
    public static string? Parameter(string value, string name)
    {
        var close = value.LastIndexOf('>');
        var parameters = close >= 0 ? value[(close + 1)..] : value;
        foreach (var part in parameters.Split(';').Skip(close >= 0 ? 0 : 1))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (string.Equals(kv[0], name, StringComparison.OrdinalIgnoreCase))
            {
                return kv.Length > 1 ? kv[1].Trim('"') : string.Empty;
            }
        }
        return null;
    }

    /// <summary>Parses a name-addr or addr-spec, unescaping a quoted display name (RFC 3261 section 25.1 quoted-string).</summary>
    public static NameAddress ParseNameAddress(string value)
    {
        var text = value.Trim();
        string? display = null;
        var i = 0;
        if (text.StartsWith('"'))
        {
            var name = new StringBuilder();
            for (i = 1; i < text.Length && text[i] != '"'; i++)
            {
                if (text[i] == '\\' && i + 1 < text.Length)
                {
                    i++;
                }
                name.Append(text[i]);
            }
            display = name.ToString();
            i++;
        }
        var open = text.IndexOf('<', i);
        if (open >= 0)
        {
            if (display is null && open > 0)
            {
                display = text[..open].Trim();
                display = display.Length == 0 ? null : display;
            }
            var close = text.IndexOf('>', open);
            var uri = text[(open + 1)..close];
            return new NameAddress(display, uri, Parameter(text[close..], "tag"));
        }
        var semicolon = text.IndexOf(';', i);
        var bare = (semicolon < 0 ? text[i..] : text[i..semicolon]).Trim();
        return new NameAddress(display, bare, semicolon < 0 ? null : Parameter(text[semicolon..], "tag"));
    }

    /// <summary>The <c>name="value"</c> pairs of a <c>Digest ...</c> challenge (RFC 2617 section 3.2.1).</summary>
    public static Dictionary<string, string> DigestParameters(string challenge)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = challenge.Trim();
        if (text.StartsWith("Digest", StringComparison.OrdinalIgnoreCase))
        {
            text = text[6..];
        }
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }
            var eq = text.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }
            var name = text[i..eq].Trim();
            i = eq + 1;
            string val;
            if (i < text.Length && text[i] == '"')
            {
                var close = text.IndexOf('"', i + 1);
                val = text[(i + 1)..close];
                i = close + 1;
            }
            else
            {
                var comma = text.IndexOf(',', i);
                val = (comma < 0 ? text[i..] : text[i..comma]).Trim();
                i = comma < 0 ? text.Length : comma;
            }
            result[name] = val;
        }
        return result;
    }
}
