using System.Globalization;
using System.Text;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Dialplan;

/// <summary>
/// The documents mod_xml_curl gets back: a dialplan of one extension whose actions are the applications the call
/// runs, in order, each with exactly the argument the socket path sends it (consecutive plain variables in one
/// <c>multiset</c>, <see cref="VariableSets"/>); or "not found", after which FreeSWITCH
/// hunts its static dialplan (switch_xml.c <c>switch_xml_locate</c>: a <c>result</c> section with
/// <c>status="not found"</c> makes it try the next binding, then the static configuration).
/// </summary>
/// <remarks>
/// How FreeSWITCH reads the document (mod_xml_curl.c <c>xml_url_fetch</c> writes it to a file and hands it to
/// switch_xml.c <c>switch_xml_parse_file</c>), and why every value is written as it is:
/// <list type="number">
/// <item><c>preprocess</c> reads the file line by line before any XML parsing. It expands <c>$${name}</c> with a
/// global variable (<c>expand_vars</c>), drops a line holding <c>&lt;?</c>, <c>&lt;include&gt;</c> or
/// <c>&lt;/include&gt;</c>, runs <c>&lt;X-PRE-PROCESS cmd=...&gt;</c> and <c>&lt;!--#cmd</c> (<c>exec</c> runs a
/// shell command), and drops any other line that holds <c>X-pre-process</c> in any case. So '$' is written as a
/// character reference (no <c>$$</c> in the text), '&lt;' as <c>&amp;lt;</c> (no markup of a value's own), and the
/// '-' of an <c>x-</c> as <c>&amp;#45;</c> (no <c>X-pre-process</c>).</item>
/// <item><c>switch_xml_parse_str</c> (ezxml) then decodes the five entities and character references in
/// attribute values (<c>switch_xml_decode</c>), and turns a raw tab or line break in one into a space; '&amp;',
/// '"', '\'' and '&gt;' are written as entities, control characters as character references (a value never holds
/// one: they are refused when documents load, see <see cref="EslCallflow.Callflows.FreeSwitch.ChannelValue"/>).</item>
/// <item>mod_dialplan_xml.c <c>parse_exten</c>: a <c>condition</c> with neither field nor time always matches, and
/// its actions' <c>data</c> is used as it is (no <c>$1</c> substitution without a field); the application then
/// expands it as any argument (<c>switch_core_session_exec</c>), which the planners already encode for
/// (<see cref="EslCallflow.Callflows.FreeSwitch.AppArgument"/>).</item>
/// <item>switch_caller.c <c>switch_caller_extension_add_application</c> leaves out, with a warning, any action whose
/// data holds a backslash before an apostrophe, which an argument carrying an apostrophe through the dial string's
/// escape levels does (<c>O'Brien</c>). Such an argument is written with <c>${eslcallflow_backslash}</c> and
/// <c>${eslcallflow_dollar}</c>, variables the extension sets first: expansion (switch_channel.c
/// <c>switch_channel_expand_variables_check</c>) then gives back the very text the socket path sends (see
/// <see cref="WithoutEscapedApostrophes"/>).</item>
/// </list>
/// </remarks>
public static class DialplanDocument
{
    public const string ExtensionName = "eslcallflow";

    public static ReadOnlySpan<byte> NotFound =>
        "<document type=\"freeswitch/xml\">\n<section name=\"result\">\n<result status=\"not found\"/>\n</section>\n</document>\n"u8;

    /// <summary>The channel variables that carry a backslash and a dollar in an argument rewritten (see the remarks).</summary>
    public const string BackslashVariable = "eslcallflow_backslash";
    public const string DollarVariable = "eslcallflow_dollar";

    /// <summary>One extension in <paramref name="context"/> that runs <paramref name="commands"/>.</summary>
    public static string Build(string context, IReadOnlyList<PlannedCommand> commands)
    {
        if (commands.Any(c => c.Argument?.Contains(EscapedApostrophe, StringComparison.Ordinal) == true))
        {
            commands = [new("set", BackslashVariable + "=\\"), new("set", DollarVariable + "=$"), .. commands.Select(c => c with { Argument = WithoutEscapedApostrophes(c.Argument) })];
        }
        commands = VariableSets.Folded(commands);
        var xml = new StringBuilder(256 + commands.Sum(c => 48 + (c.Argument?.Length ?? 0)));
        xml.Append("<document type=\"freeswitch/xml\">\n<section name=\"dialplan\">\n<context name=\"");
        AppendAttribute(xml, context);
        xml.Append("\">\n<extension name=\"").Append(ExtensionName).Append("\">\n<condition>\n");
        foreach (var command in commands)
        {
            xml.Append("<action application=\"");
            AppendAttribute(xml, command.Application);
            xml.Append('"');
            if (command.Argument is { } argument)
            {
                xml.Append(" data=\"");
                AppendAttribute(xml, argument);
                xml.Append('"');
            }
            xml.Append("/>\n");
        }
        xml.Append("</condition>\n</extension>\n</context>\n</section>\n</document>\n");
        return xml.ToString();
    }

    private const string EscapedApostrophe = "\\'";

    /// <summary>
    /// <paramref name="argument"/> (encoded for expansion, <see cref="AppArgument.Encode"/>: the only kind the daemon
    /// sends) with no backslash before an apostrophe, expanding to what it expands to. Expansion reads <c>\\</c> as a
    /// backslash and <c>\$</c> as a dollar; here every <c>\$</c> becomes <c>${eslcallflow_dollar}</c> and every <c>\\</c>
    /// before an apostrophe <c>${eslcallflow_backslash}</c>. Two quirks of switch_channel_expand_variables_check are
    /// why: <c>\$$</c> reads as one dollar (so no <c>\$</c> may stay in front of a variable), and the character
    /// right after a variable is copied as it is, escape or not (<c>*c++ = *p</c> once the variable is replaced, unless
    /// it is a '$'), so a backslash there is written single.
    /// </summary>
    public static string? WithoutEscapedApostrophes(string? argument)
    {
        if (argument is null || !argument.Contains(EscapedApostrophe, StringComparison.Ordinal))
        {
            return argument;
        }
        var text = new StringBuilder(argument.Length + 64);
        var afterVariable = false;
        for (var i = 0; i < argument.Length; i++)
        {
            var c = argument[i];
            var next = i + 1 < argument.Length ? argument[i + 1] : '\0';
            if (c == '\\' && next == '$')
            {
                text.Append("${").Append(DollarVariable).Append('}');
                afterVariable = true;
                i++;
            }
            else if (c == '\\' && next == '\\' && i + 2 < argument.Length && argument[i + 2] == '\'')
            {
                // The apostrophe after it is then the character copied as it is.
                text.Append("${").Append(BackslashVariable).Append('}');
                afterVariable = true;
                i++;
            }
            else if (c == '\\' && next == '\\')
            {
                text.Append(afterVariable ? "\\" : "\\\\");
                afterVariable = false;
                i++;
            }
            else if (c == '\\' && next == '\'')
            {
                // A lone backslash before an apostrophe (no encoded argument holds one): expansion drops both.
                i++;
            }
            else
            {
                text.Append(c);
                afterVariable = false;
            }
        }
        return text.ToString();
    }

    /// <summary>A value inside a double-quoted attribute, as FreeSWITCH reads it back unchanged (see the remarks).</summary>
    public static void AppendAttribute(StringBuilder xml, string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '&':
                    xml.Append("&amp;");
                    break;
                case '<':
                    xml.Append("&lt;");
                    break;
                case '>':
                    xml.Append("&gt;");
                    break;
                case '"':
                    xml.Append("&quot;");
                    break;
                case '\'':
                    xml.Append("&apos;");
                    break;
                case '$':
                    xml.Append("&#36;");
                    break;
                case '-' when i > 0 && value[i - 1] is 'x' or 'X':
                    xml.Append("&#45;");
                    break;
                case '\0':
                    // switch_xml_decode cannot write a NUL back (it ends the C string): nothing carries one.
                    throw new ArgumentException("a dialplan value must not contain NUL", nameof(value));
                case < ' ' or '\x7F':
                    xml.Append("&#").Append(((int)c).ToString(CultureInfo.InvariantCulture)).Append(';');
                    break;
                default:
                    xml.Append(c);
                    break;
            }
        }
    }
}
