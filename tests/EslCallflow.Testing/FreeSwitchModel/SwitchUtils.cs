namespace EslCallflow.Testing.FreeSwitchModel;

/// <summary>
/// Ports of the FreeSWITCH 1.10.12 string helpers the dial-string parser uses, line for line, on a
/// <see cref="CBuffer"/>. Sources: src/switch_utils.c and src/include/switch_utils.h.
/// </summary>
internal static class SwitchUtils
{
    /// <summary>switch_utils.c: <c>#define ESCAPE_META '\\'</c>.</summary>
    private const char EscapeMeta = '\\';

    /// <summary>
    /// switch_utils.c <c>switch_separate_string</c>: a buffer that starts with <c>^^X</c> (and has at least two
    /// characters after the carets) is split on X instead of <paramref name="delim"/>; a space delimiter uses
    /// the blank-delimiter tokenizer. Returns the element pointers (at most <paramref name="arrayLength"/>; the last
    /// element then holds the unsplit rest), each already cleaned up.
    /// </summary>
    public static List<int> SeparateString(CBuffer b, int buf, char delim, int arrayLength)
    {
        if (b[buf] == '^' && b[buf + 1] == '^')
        {
            var p = buf + 2;
            if (b[p] != '\0' && b[p + 1] != '\0')
            {
                buf = p;
                delim = b[buf++];
            }
        }
        return delim == ' ' ? SeparateBlankDelim(b, buf, arrayLength) : SeparateCharDelim(b, buf, delim, arrayLength);
    }

    /// <summary>
    /// switch_utils.c <c>separate_string_char_delim</c>: a backslash skips the next character, a single quote
    /// toggles quoting only when already quoting or when another quote follows anywhere later in the buffer
    /// (<c>strchr(ptr+1, '\'')</c>), the delimiter outside quotes becomes NUL.
    /// </summary>
    private static List<int> SeparateCharDelim(CBuffer b, int buf, char delim, int arrayLength)
    {
        var array = new List<int>();
        var findDelim = false;
        var ptr = buf;
        var insideQuotes = false;
        while (b[ptr] != '\0' && array.Count < arrayLength)
        {
            if (!findDelim)
            {
                array.Add(ptr);
                findDelim = true;
                continue;
            }
            if (b[ptr] == EscapeMeta)
            {
                ++ptr;
            }
            else if (b[ptr] == '\'' && (insideQuotes || b.Strchr(ptr + 1, '\'') >= 0))
            {
                insideQuotes = !insideQuotes;
            }
            else if (b[ptr] == delim && !insideQuotes)
            {
                b[ptr] = '\0';
                findDelim = false;
            }
            ++ptr;
        }
        for (var i = 0; i < array.Count; i++)
        {
            array[i] = CleanupSeparatedString(b, array[i], delim);
        }
        return array;
    }

    /// <summary>switch_utils.c <c>separate_string_blank_delim</c> (a space delimiter; any quote toggles).</summary>
    private static List<int> SeparateBlankDelim(CBuffer b, int buf, int arrayLength)
    {
        var array = new List<int>();
        var state = 0; // 0 START, 1 SKIP_INITIAL_SPACE, 2 FIND_DELIM, 3 SKIP_ENDING_SPACE
        var ptr = buf;
        var insideQuotes = false;
        while (b[ptr] != '\0' && array.Count < arrayLength)
        {
            switch (state)
            {
                case 0:
                    array.Add(ptr);
                    state = 1;
                    break;
                case 1:
                    if (b[ptr] == ' ')
                    {
                        ++ptr;
                    }
                    else
                    {
                        state = 2;
                    }
                    break;
                case 2:
                    if (b[ptr] == EscapeMeta)
                    {
                        ++ptr;
                    }
                    else if (b[ptr] == '\'')
                    {
                        insideQuotes = !insideQuotes;
                    }
                    else if (b[ptr] == ' ' && !insideQuotes)
                    {
                        b[ptr] = '\0';
                        state = 3;
                    }
                    ++ptr;
                    break;
                default:
                    if (b[ptr] == ' ')
                    {
                        ++ptr;
                    }
                    else
                    {
                        state = 0;
                    }
                    break;
            }
        }
        for (var i = 0; i < array.Count; i++)
        {
            array[i] = CleanupSeparatedString(b, array[i], '\0');
        }
        return array;
    }

    /// <summary>
    /// switch_utils.c <c>cleanup_separated_string</c>: skips leading spaces; <c>\'</c>, <c>\"</c>, <c>\\</c>,
    /// backslash + delimiter and <c>\n \r \t \s</c> become the character (other backslashes stay); a quote that
    /// toggles (same rule as the split) is removed; unquoted trailing spaces are cut. Works in place.
    /// </summary>
    public static int CleanupSeparatedString(CBuffer b, int str, char delim)
    {
        var ptr = str;
        while (b[ptr] == ' ')
        {
            ++ptr;
        }
        var start = ptr;
        var dest = ptr;
        var end = -1;
        var insideQuotes = false;
        for (; b[ptr] != '\0'; ++ptr)
        {
            var escaped = false;
            if (b[ptr] == EscapeMeta)
            {
                var next = b[ptr + 1];
                var e = next;
                if (next == '\'' || next == '"' || (delim != '\0' && next == delim) || next == EscapeMeta || (e = UnescapeChar(next)) != next)
                {
                    ++ptr;
                    b[dest++] = e;
                    end = dest;
                    escaped = true;
                }
            }
            if (!escaped)
            {
                if (b[ptr] == '\'' && (insideQuotes || b.Strchr(ptr + 1, '\'') >= 0))
                {
                    insideQuotes = !insideQuotes;
                    if (insideQuotes)
                    {
                        end = dest;
                    }
                }
                else
                {
                    var c = b[ptr];
                    b[dest++] = c;
                    if (c != ' ' || insideQuotes)
                    {
                        end = dest;
                    }
                }
            }
        }
        if (end >= 0)
        {
            b[end] = '\0';
        }
        return start;
    }

    /// <summary>switch_utils.c <c>unescape_char</c>: n r t s; anything else is itself.</summary>
    private static char UnescapeChar(char escaped) => escaped switch
    {
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        's' => ' ',
        _ => escaped,
    };

    /// <summary>
    /// switch_utils.c <c>switch_separate_string_string</c>: split on a literal string, no quoting, no escapes
    /// (the enterprise-originate <c>:_:</c> split).
    /// </summary>
    public static List<int> SeparateStringString(CBuffer b, int buf, string delim, int arrayLength)
    {
        var array = new List<int> { buf };
        while (array.Count < arrayLength)
        {
            var d = b.Strstr(array[^1], delim);
            if (d < 0)
            {
                break;
            }
            b[d] = '\0';
            array.Add(d + delim.Length);
        }
        return array;
    }

    /// <summary>
    /// switch_utils.c <c>switch_find_end_paren</c>: after leading spaces, the matching close of an open
    /// character, counting nesting; no quote or escape handling at all. Index or -1.
    /// </summary>
    public static int FindEndParen(CBuffer b, int s, char open, char close)
    {
        while (b[s] == ' ')
        {
            s++;
        }
        var e = -1;
        if (b[s] == open)
        {
            var depth = 1;
            for (e = s + 1; b[e] != '\0'; e++)
            {
                if (b[e] == open && open != close)
                {
                    depth++;
                }
                else if (b[e] == close)
                {
                    depth--;
                    if (depth == 0)
                    {
                        break;
                    }
                }
            }
        }
        return e >= 0 && b[e] == close ? e : -1;
    }

    /// <summary>
    /// switch_utils.h <c>switch_strchr_strict(in, find, " ")</c>: the first <paramref name="find"/> with only
    /// spaces before it; at the end of the string it returns the terminator's position, not NULL.
    /// </summary>
    public static int StrchrStrictSpaces(CBuffer b, int p, char find)
    {
        if (b[p] == '\0')
        {
            return -1;
        }
        while (b[p] != '\0')
        {
            if (b[p] == find)
            {
                break;
            }
            if (b[p] != ' ')
            {
                return -1;
            }
            p++;
        }
        return p;
    }

    /// <summary>switch_utils.h <c>switch_string_var_check_const</c>: '$', then any backslashes, then '{'.</summary>
    public static bool VarCheckConst(string s)
    {
        var dollar = false;
        foreach (var c in s)
        {
            if (c == '\0')
            {
                break;
            }
            if (c == '$')
            {
                dollar = true;
            }
            else if (dollar)
            {
                if (c == '{')
                {
                    return true;
                }
                if (c != '\\')
                {
                    dollar = false;
                }
            }
        }
        return false;
    }

    /// <summary>switch_utils.h <c>switch_string_has_escaped_data</c>: a backslash before \ n s t or '.</summary>
    public static bool HasEscapedData(string s)
    {
        var i = s.IndexOf('\\');
        while (i >= 0 && i < s.Length && s[i] == '\\')
        {
            i++;
            if (i < s.Length && s[i] is '\\' or 'n' or 's' or 't' or '\'')
            {
                return true;
            }
            i = i < s.Length ? s.IndexOf('\\', i) : -1;
        }
        return false;
    }

    /// <summary>switch_utils.h <c>switch_true</c>.</summary>
    public static bool True(string? expr) => expr is not null
        && (expr.Equals("yes", StringComparison.OrdinalIgnoreCase) || expr.Equals("on", StringComparison.OrdinalIgnoreCase)
            || expr.Equals("true", StringComparison.OrdinalIgnoreCase) || expr.Equals("t", StringComparison.OrdinalIgnoreCase)
            || expr.Equals("enabled", StringComparison.OrdinalIgnoreCase) || expr.Equals("active", StringComparison.OrdinalIgnoreCase)
            || expr.Equals("allow", StringComparison.OrdinalIgnoreCase)
            || (long.TryParse(expr, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) && n != 0));

    /// <summary>switch_utils.c <c>switch_stristr</c>: case-insensitive substring.</summary>
    public static bool Stristr(string needle, string haystack) => haystack.Contains(needle, StringComparison.OrdinalIgnoreCase);
}
