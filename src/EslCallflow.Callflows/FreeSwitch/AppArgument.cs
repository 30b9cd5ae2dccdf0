using System.Text;

namespace EslCallflow.Callflows.FreeSwitch;

/// <summary>
/// An application argument that FreeSWITCH hands to the application exactly as meant. switch_core_session.c
/// <c>switch_core_session_exec</c> runs every argument through switch_channel.c
/// <c>switch_channel_expand_variables_check</c> first, which returns a text untouched unless it holds <c>${</c>
/// (<c>switch_string_var_check_const</c>: '$', any backslashes, '{') or a backslash before \ n s t '
/// (<c>switch_string_has_escaped_data</c>); such a text is rewritten as a whole: <c>\\</c> gives <c>\</c>,
/// <c>\$</c> gives <c>$</c>, <c>\'</c> vanishes, <c>$$x</c> loses a '$', <c>${...}</c> expands. So a text that would be
/// rewritten is sent with every '\' and '$' backslash-escaped: the rewrite then gives back the text, and no
/// <c>${</c> in it expands.
/// </summary>
public static class AppArgument
{
    /// <summary>The argument to send so the application receives <paramref name="text"/>.</summary>
    public static string Encode(string text)
    {
        if (!Expands(text))
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c is '\\' or '$')
            {
                escaped.Append('\\');
            }
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>
    /// The argument of <c>set name=value</c>: mod_dptools.c <c>base_set</c> expands the value a second time
    /// (<c>switch_channel_expand_variables</c> on what follows the first '='), so the value is encoded twice.
    /// </summary>
    public static string Set(string name, string value) => Encode(name + "=" + Encode(value));

    /// <summary>Whether expansion would rewrite <paramref name="text"/> (its slow path).</summary>
    public static bool Expands(string text) => HasVariable(text) || HasEscape(text);

    /// <summary>switch_utils.h <c>switch_string_var_check_const</c>: '$', then any backslashes, then '{'.</summary>
    public static bool HasVariable(ReadOnlySpan<char> text)
    {
        for (var dollar = text.IndexOf('$'); dollar >= 0; dollar = text.IndexOf('$'))
        {
            var next = dollar + 1;
            while (next < text.Length && text[next] == '\\')
            {
                next++;
            }
            if (next < text.Length && text[next] == '{')
            {
                return true;
            }
            text = text[next..];
        }
        return false;
    }

    /// <summary>switch_utils.h <c>switch_string_has_escaped_data</c>: a backslash before \ n s t or '.</summary>
    private static bool HasEscape(ReadOnlySpan<char> text)
    {
        for (var slash = text.IndexOf('\\'); slash >= 0 && slash + 1 < text.Length; slash = text.IndexOf('\\'))
        {
            if (text[slash + 1] is '\\' or 'n' or 's' or 't' or '\'')
            {
                return true;
            }
            text = text[(slash + 1)..];
        }
        return false;
    }
}
