using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace EslCallflow.Testing.FreeSwitchModel;

/// <summary>One action of the extension FreeSWITCH found, its data as the dialplan hands it to the application.</summary>
public sealed record DialplanAction(string Application, string? Data);

/// <summary>
/// What FreeSWITCH made of a fetched document: "not found" (its static dialplan runs), a parse error (the same),
/// or the actions of the extension it runs; and what its reading dropped on the way.
/// </summary>
public sealed record FetchedDialplan(bool NotFound, string? Error, IReadOnlyList<DialplanAction> Actions)
{
    /// <summary>Lines the preprocessor dropped (one holding <c>&lt;?</c>, <c>&lt;include&gt;</c>, <c>X-pre-process</c>...).</summary>
    public IReadOnlyList<string> DroppedLines { get; init; } = [];

    /// <summary>Preprocessor commands the document would have run (<c>&lt;X-PRE-PROCESS cmd=...&gt;</c>, <c>&lt;!--#cmd</c>).</summary>
    public IReadOnlyList<string> PreprocessorCommands { get; init; } = [];

    /// <summary>Actions switch_caller_extension_add_application left out (their data holds a backslash before an apostrophe).</summary>
    public IReadOnlyList<DialplanAction> NotAdded { get; init; } = [];
}

/// <summary>
/// How FreeSWITCH 1.10.12 reads a document that mod_xml_curl fetched for a dialplan lookup, step by step:
/// <list type="number">
/// <item>mod_xml_curl.c <c>xml_url_fetch</c> writes the body to a file and calls switch_xml.c
///   <c>switch_xml_parse_file</c>, whose <c>preprocess</c> reads it line by line: <c>$${name}</c> becomes the global
///   variable (<c>expand_vars</c>, nothing when unset); a line holding <c>&lt;include&gt;</c>, <c>&lt;/include&gt;</c> or
///   <c>&lt;?</c> is dropped; a line holding <c>X-pre-process</c> (any case) is dropped, after running it as a command
///   when a '&lt;' comes right before; <c>&lt;!--#cmd</c> runs a command too.</item>
/// <item>The result is parsed (ezxml: the five entities and character references decoded in attribute values, a raw
///   tab or line break in one read as a space): here System.Xml, which reads a well-formed document the same way.</item>
/// <item>switch_xml.c <c>switch_xml_locate</c>: a <c>result</c> section whose <c>result</c> says <c>status="not found"</c>
///   is no answer (the static dialplan is searched); otherwise its <c>dialplan</c> section.</item>
/// <item>mod_dialplan_xml.c <c>dialplan_hunt</c>: the context named as the call's, else <c>global</c>; the first
///   extension whose conditions pass (a condition with neither field nor time always does); each action is added with
///   switch_caller.c <c>switch_caller_extension_add_application</c>, which leaves out data holding <c>\'</c>.</item>
/// </list>
/// Only what the daemon writes is modelled: a condition with a field is refused.
/// </summary>
public static partial class XmlDialplan
{
    [GeneratedRegex(@"\$\$\{([^}]*)\}")]
    private static partial Regex GlobalVariable();

    public static FetchedDialplan Read(string document, string context, IReadOnlyDictionary<string, string>? globals = null)
    {
        var (text, dropped, commands) = Preprocess(document, globals ?? new Dictionary<string, string>());
        XDocument xml;
        try
        {
            xml = XDocument.Parse(text);
        }
        catch (XmlException ex)
        {
            return new FetchedDialplan(false, "Error Parsing Result: " + ex.Message, []) { DroppedLines = dropped, PreprocessorCommands = commands };
        }
        var sections = xml.Root?.Elements("section").ToList() ?? [];
        if (sections.FirstOrDefault(s => (string?)s.Attribute("name") == "result")?.Element("result") is { } result
            && string.Equals((string?)result.Attribute("status"), "not found", StringComparison.OrdinalIgnoreCase))
        {
            return new FetchedDialplan(true, null, []) { DroppedLines = dropped, PreprocessorCommands = commands };
        }
        var dialplan = sections.FirstOrDefault(s => (string?)s.Attribute("name") == "dialplan");
        var contextElement = dialplan?.Elements("context").FirstOrDefault(c => string.Equals((string?)c.Attribute("name"), context, StringComparison.OrdinalIgnoreCase))
            ?? dialplan?.Elements("context").FirstOrDefault(c => string.Equals((string?)c.Attribute("name"), "global", StringComparison.OrdinalIgnoreCase));
        if (contextElement is null)
        {
            return new FetchedDialplan(false, $"Context {context} not found", []) { DroppedLines = dropped, PreprocessorCommands = commands };
        }
        var actions = new List<DialplanAction>();
        var notAdded = new List<DialplanAction>();
        foreach (var extension in contextElement.Elements("extension"))
        {
            foreach (var condition in extension.Elements("condition"))
            {
                if (condition.Attribute("field") is not null || condition.Attribute("regex") is not null)
                {
                    throw new NotSupportedException("the model reads conditions without a field only (the daemon writes no other)");
                }
                foreach (var action in condition.Elements("action"))
                {
                    var added = new DialplanAction((string?)action.Attribute("application") ?? "", (string?)action.Attribute("data"));
                    (added.Data?.Contains("\\'", StringComparison.Ordinal) == true ? notAdded : actions).Add(added);
                }
            }
            if (actions.Count > 0 || notAdded.Count > 0)
            {
                break;
            }
        }
        return new FetchedDialplan(false, null, actions) { DroppedLines = dropped, PreprocessorCommands = commands, NotAdded = notAdded };
    }

    private static (string Text, List<string> Dropped, List<string> Commands) Preprocess(string document, IReadOnlyDictionary<string, string> globals)
    {
        var kept = new StringBuilder(document.Length);
        var dropped = new List<string>();
        var commands = new List<string>();
        foreach (var raw in document.Split('\n'))
        {
            var line = raw.Contains("$${", StringComparison.Ordinal)
                ? GlobalVariable().Replace(raw, m => globals.GetValueOrDefault(m.Groups[1].Value) ?? "")
                : raw;
            if (line.Contains("<include>", StringComparison.Ordinal) || line.Contains("</include>", StringComparison.Ordinal) || line.Contains("<?", StringComparison.Ordinal))
            {
                dropped.Add(line);
                continue;
            }
            var pre = line.IndexOf("X-pre-process", StringComparison.OrdinalIgnoreCase);
            if (pre >= 0)
            {
                if (pre > 0 && line[pre - 1] == '<')
                {
                    commands.Add(line);
                }
                dropped.Add(line);
                continue;
            }
            if (line.Contains("<!--#", StringComparison.Ordinal))
            {
                commands.Add(line);
                dropped.Add(line);
                continue;
            }
            kept.Append(line).Append('\n');
        }
        return (kept.ToString(), dropped, commands);
    }

    /// <summary>mod_sofia's cause for a <c>respond</c> code (sofia_glue.c <c>sofia_glue_sip_cause_to_freeswitch</c>, the codes the daemon sends).</summary>
    public static string CauseOfResponse(int code) => code switch
    {
        403 => "CALL_REJECTED",
        404 => "UNALLOCATED_NUMBER",
        480 => "NO_USER_RESPONSE",
        486 => "USER_BUSY",
        503 => "NORMAL_TEMPORARY_FAILURE",
        _ => "NORMAL_CLEARING",
    };
}
