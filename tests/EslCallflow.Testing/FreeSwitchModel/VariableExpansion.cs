using System.Globalization;
using System.Text;

namespace EslCallflow.Testing.FreeSwitchModel;

/// <summary>
/// Port of switch_channel.c <c>switch_channel_expand_variables_check</c> (FreeSWITCH 1.10.12), which
/// switch_core_session.c <c>switch_core_session_exec</c> runs on every application's argument before the
/// application sees it (unless the channel sets <c>app_disable_expand_variables</c>).
/// <para>
/// A string with neither <c>${</c> (<c>switch_string_var_check_const</c>) nor a backslash before \ n s t '
/// (<c>switch_string_has_escaped_data</c>) comes back untouched. Otherwise every character is rewritten:
/// <c>\\</c> → <c>\</c>, <c>\'</c> → nothing, <c>\$</c> → <c>$</c> (and <c>\$$</c> → <c>$</c>), <c>$$x</c> → <c>$x</c>,
/// <c>${name}</c> → the variable, <c>${api args}</c> → the API's output (the model records the call and substitutes nothing).
/// </para>
/// </summary>
public static class VariableExpansion
{
    public sealed record Result(string Text, IReadOnlyList<string> Variables, IReadOnlyList<string> ApiCalls);

    public static Result Expand(string input, IReadOnlyDictionary<string, string>? variables = null)
    {
        var used = new List<string>();
        var api = new List<string>();
        var text = ExpandCheck(input, variables ?? new Dictionary<string, string>(), used, api, 0);
        return new Result(text, used, api);
    }

    private static string ExpandCheck(string input, IReadOnlyDictionary<string, string> variables, List<string> used, List<string> api, int recur)
    {
        if (recur > 100 || input.Length == 0)
        {
            return input;
        }
        if (!(SwitchUtils.VarCheckConst(input) || SwitchUtils.HasEscapedData(input)))
        {
            return input;
        }

        var b = new CBuffer(input);
        // end_of_p(indup) + 1: the terminator's position.
        var endOf = b.Length(0);
        var output = new StringBuilder();
        var nv = false;
        for (var p = 0; p < endOf && b[p] != '\0'; p++)
        {
            var global = false;
            var vtype = 0;

            if (b[p] == '\\')
            {
                if (b[p + 1] == '$')
                {
                    nv = true;
                    p++;
                    if (b[p + 1] == '$')
                    {
                        p++;
                    }
                }
                else if (b[p + 1] == '\'')
                {
                    p++;
                    continue;
                }
                else if (b[p + 1] == '\\')
                {
                    output.Append(b[p]);
                    p++;
                    continue;
                }
            }

            if (b[p] == '$' && !nv)
            {
                if (b[p + 1] == '$')
                {
                    p++;
                    global = true;
                }
                if (b[p + 1] != '\0')
                {
                    if (b[p + 1] == '{')
                    {
                        vtype = global ? 3 : 1;
                    }
                    else
                    {
                        nv = true;
                    }
                }
                else
                {
                    nv = true;
                }
            }

            if (nv)
            {
                output.Append(b[p]);
                nv = false;
                continue;
            }

            if (vtype != 0)
            {
                var s = p + 1;
                var br = 0;
                if ((vtype == 1 || vtype == 3) && b[s] == '{')
                {
                    br = 1;
                    s++;
                }
                var e = s;
                var vname = s;
                while (b[e] != '\0')
                {
                    if (br == 1 && b[e] == '}')
                    {
                        br = 0;
                        b[e++] = '\0';
                        break;
                    }
                    if (br > 0)
                    {
                        if (e != s && b[e] == '{')
                        {
                            br++;
                        }
                        else if (br > 1 && b[e] == '}')
                        {
                            br--;
                        }
                    }
                    e++;
                }
                p = e > endOf ? endOf : e;

                var vval = -1;
                for (var sb = vname; b[sb] != '\0'; sb++)
                {
                    if (b[sb] == ' ')
                    {
                        vval = sb;
                        break;
                    }
                    if (b[sb] == '(')
                    {
                        vval = sb;
                        br = 1;
                        break;
                    }
                }
                if (vval >= 0)
                {
                    e = vval - 1;
                    b[vval++] = '\0';
                    while (e >= 0 && b[e] == ' ')
                    {
                        b[e--] = '\0';
                    }
                    e = vval;
                    while (b[e] != '\0')
                    {
                        if (b[e] == '(')
                        {
                            br++;
                        }
                        else if (br > 1 && b[e] == ')')
                        {
                            br--;
                        }
                        else if (br == 1 && b[e] == ')')
                        {
                            b[e] = '\0';
                            break;
                        }
                        e++;
                    }
                    vtype = 2;
                }

                string? sub;
                if (vtype == 1 || vtype == 3)
                {
                    sub = Lookup(ExpandCheck(b.Str(vname), variables, used, api, recur + 1), variables, used, api, recur);
                }
                else
                {
                    var name = ExpandCheck(b.Str(vname), variables, used, api, recur + 1);
                    var arguments = ExpandCheck(b.Str(vval), variables, used, api, recur + 1);
                    api.Add($"{name} {arguments}");
                    sub = null;
                }
                if (!string.IsNullOrEmpty(sub))
                {
                    output.Append(sub);
                }
            }

            if (b[p] == '\0')
            {
                break;
            }
            if (b[p] == '$')
            {
                p--;
            }
            else
            {
                output.Append(b[p]);
            }
        }
        return output.ToString();
    }

    /// <summary>The <c>${name:offset:length}</c> and <c>${name[index]}</c> forms, then the value, itself expanded.</summary>
    private static string? Lookup(string vname, IReadOnlyDictionary<string, string> variables, List<string> used, List<string> api, int recur)
    {
        var offset = 0;
        var length = 0;
        var colon = vname.IndexOf(':');
        if (colon >= 0)
        {
            var rest = vname[(colon + 1)..];
            vname = vname[..colon];
            offset = Atoi(rest);
            var second = rest.IndexOf(':');
            if (second >= 0)
            {
                length = Atoi(rest[(second + 1)..]);
            }
        }
        var bracket = vname.IndexOf('[');
        if (bracket >= 0 && vname.IndexOf(']', bracket) >= 0)
        {
            vname = vname[..bracket];
        }
        used.Add(vname);
        if (!variables.TryGetValue(vname, out var value))
        {
            return null;
        }
        value = ExpandCheck(value, variables, used, api, recur + 1);
        if (offset >= 0)
        {
            value = offset > value.Length ? "" : value[offset..];
        }
        else if (-offset <= value.Length)
        {
            value = value[(value.Length + offset)..];
        }
        if (length > 0 && length < value.Length)
        {
            value = value[..length];
        }
        return value;
    }

    private static int Atoi(string text)
    {
        var i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
        var start = i;
        if (i < text.Length && text[i] is '+' or '-')
        {
            i++;
        }
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        return int.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }
}
