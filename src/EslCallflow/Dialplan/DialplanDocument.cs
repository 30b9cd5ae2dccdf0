using System.Globalization;
using System.Text;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Dialplan;

/// <summary>
/// The documents mod_xml_curl gets back: a dialplan of one extension whose actions are the applications the call
/// runs, in order, each with exactly the argument the socket path sends it; or "not found", after which FreeSWITCH
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
/// </list>
/// </remarks>
public static class DialplanDocument
{
    public const string ExtensionName = "eslcallflow";

    public static ReadOnlySpan<byte> NotFound =>
        "<document type=\"freeswitch/xml\">\n<section name=\"result\">\n<result status=\"not found\"/>\n</section>\n</document>\n"u8;

    /// <summary>One extension in <paramref name="context"/> that runs <paramref name="commands"/>.</summary>
    public static string Build(string context, IReadOnlyList<PlannedCommand> commands)
    {
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
