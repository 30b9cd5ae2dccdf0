using System.Text;

namespace EslCallflow.Callflows.FreeSwitch;

/// <summary>
/// A caller id name in the form mod_sofia turns back into the name the phone shows. sofia_glue.c
/// <c>sofia_glue_do_invite</c> passes the caller profile's name through mod_sofia.h <c>check_decode</c> (URL-decoded
/// when it holds '%'; then, when it holds '"', only what lies between its first and last '"' is kept) and writes
/// the From header as <c>"%s" &lt;sip:...&gt;</c>, which the phone reads as a SIP quoted-string (<c>\x</c> is x).
/// So '%' is sent as <c>%25</c>, and a name with '"' or '\' is sent in double quotes with those two
/// backslash-escaped. Any other name is sent as it is.
/// </summary>
public static class SipDisplayName
{
    public static string Encode(string name)
    {
        if (name.AsSpan().IndexOfAny("\"\\%") < 0)
        {
            return name;
        }
        var quote = name.AsSpan().IndexOfAny('"', '\\') >= 0;
        var encoded = new StringBuilder(name.Length + 8);
        if (quote)
        {
            encoded.Append('"');
        }
        foreach (var c in name)
        {
            if (c == '%')
            {
                encoded.Append("%25");
                continue;
            }
            if (quote && c is '"' or '\\')
            {
                encoded.Append('\\');
            }
            encoded.Append(c);
        }
        if (quote)
        {
            encoded.Append('"');
        }
        return encoded.ToString();
    }
}
