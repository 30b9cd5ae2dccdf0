using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Loading;

/// <summary>Turns JSON documents into records, recording every bad field.</summary>
internal static class DocumentParsers
{
    private static readonly JsonElement EmptyData = JsonDocument.Parse("{}").RootElement;

    public static Device? Device(DocumentReader r, JsonElement doc, string id)
    {
        var sip = r.Object(doc, "sip", "$");
        var username = sip is { } s ? r.String(s, "username", "$.sip", required: true, check: SafeText.CheckSipUser) : null;
        var realm = sip is { } s2 ? r.String(s2, "realm", "$.sip", required: true, check: SafeText.CheckRealm) : null;
        if (sip is null)
        {
            r.Error("$.sip", "is required (username and realm)");
        }
        var dnd = r.Object(doc, "do_not_disturb", "$");
        var ringtones = r.Object(doc, "ringtones", "$");
        var callerId = r.Object(doc, "caller_id", "$");
        var device = new Device(
            id,
            r.String(doc, "name", "$", check: SafeText.CheckText),
            r.String(doc, "owner_id", "$", check: SafeText.CheckId),
            r.Bool(doc, "enabled", "$", true),
            username ?? "",
            realm ?? "",
            dnd is { } d && r.Bool(d, "enabled", "$.do_not_disturb", false),
            ringtones is { } rt ? r.String(rt, "internal", "$.ringtones", check: SafeText.CheckRingtone) : null,
            ringtones is { } rt2 ? r.String(rt2, "external", "$.ringtones", check: SafeText.CheckRingtone) : null,
            callerId is { } c ? CallerId(r, c, "internal") : null,
            callerId is { } c2 ? CallerId(r, c2, "external") : null,
            r.String(doc, "dial_string", "$", check: SafeText.CheckEndpoint)) { Raw = doc };
        return username is null || realm is null ? null : device;
    }

    public static User User(DocumentReader r, JsonElement doc, string id)
    {
        var dnd = r.Object(doc, "do_not_disturb", "$");
        return new User(
            id,
            r.String(doc, "first_name", "$", check: SafeText.CheckText),
            r.String(doc, "last_name", "$", check: SafeText.CheckText),
            r.Bool(doc, "enabled", "$", true),
            dnd is { } d && r.Bool(d, "enabled", "$.do_not_disturb", false)) { Raw = doc };
    }

    public static Group Group(DocumentReader r, JsonElement doc, string id)
    {
        var endpoints = new List<GroupEndpoint>();
        if (r.Object(doc, "endpoints", "$") is { } map)
        {
            foreach (var member in map.EnumerateObject())
            {
                var at = $"$.endpoints.{member.Name}";
                if (SafeText.CheckId(member.Name) is { } bad)
                {
                    r.Error(at, $"'{DocumentReader.Printable(member.Name)}' {bad}");
                    continue;
                }
                if (member.Value.ValueKind != JsonValueKind.Object)
                {
                    r.Error(at, $"must be an object, not {DocumentReader.Describe(member.Value)}");
                    continue;
                }
                var type = r.Enum(member.Value, "type", at, EndpointTypeNames.ByName, null, required: true);
                var delay = r.OptionalInt(member.Value, "delay", at, 0, 3600);
                var timeout = r.OptionalInt(member.Value, "timeout", at, 1, 3600);
                var weight = r.OptionalInt(member.Value, "weight", at, 1, 100);
                if (type is { } t)
                {
                    endpoints.Add(new GroupEndpoint(member.Name, t, delay, timeout, weight));
                }
            }
        }
        else
        {
            r.Error("$.endpoints", "is required (an object of id: { type, delay?, timeout?, weight? })");
        }
        return new Group(id, r.String(doc, "name", "$", check: SafeText.CheckText), endpoints) { Raw = doc };
    }

    public static Callflow? Callflow(DocumentReader r, JsonElement doc, string id)
    {
        var numbers = StringList(r, doc, "numbers", check: SafeText.CheckExtension);
        var patterns = StringList(r, doc, "patterns", check: CheckPattern);
        if (numbers.Count == 0 && patterns.Count == 0)
        {
            r.Error("$.numbers", "a callflow needs at least one number or pattern");
        }
        if (!DocumentReader.TryGet(doc, "flow", out var flow))
        {
            r.Error("$.flow", "is required");
            return null;
        }
        var node = Node(r, flow, "$.flow", depth: 0);
        return node is null ? null : new Callflow(id, numbers, patterns, node) { Raw = doc };
    }

    private static FlowNode? Node(DocumentReader r, JsonElement node, string path, int depth)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            r.Error(path, $"must be an object, not {DocumentReader.Describe(node)}");
            return null;
        }
        if (depth > 32)
        {
            r.Error(path, "flow is nested more than 32 levels deep");
            return null;
        }
        var module = r.String(node, "module", path, required: true);
        if (module is null)
        {
            return null;
        }
        if (!ModuleCatalog.IsKnown(module))
        {
            r.Error($"{path}.module", $"unknown module '{DocumentReader.Printable(module)}' (known: {string.Join(", ", ModuleCatalog.Names)})");
            return null;
        }
        var data = DocumentReader.TryGet(node, "data", out var d) ? d : EmptyData;
        if (data.ValueKind != JsonValueKind.Object)
        {
            r.Error($"{path}.data", $"must be an object, not {DocumentReader.Describe(data)}");
            return null;
        }
        var parsed = ModuleCatalog.Parse(r, module, data, $"{path}.data");
        var children = new Dictionary<string, FlowNode>(StringComparer.Ordinal);
        if (r.Object(node, "children", path) is { } map)
        {
            foreach (var child in map.EnumerateObject())
            {
                if (Node(r, child.Value, $"{path}.children.{child.Name}", depth + 1) is { } parsedChild)
                {
                    children[child.Name] = parsedChild;
                }
            }
        }
        return new FlowNode(module, data, children, parsed);
    }

    private static List<string> StringList(DocumentReader r, JsonElement doc, string name, Func<string, string?> check)
    {
        var result = new List<string>();
        if (!DocumentReader.TryGet(doc, name, out var list))
        {
            return result;
        }
        if (list.ValueKind != JsonValueKind.Array)
        {
            r.Error($"$.{name}", $"must be an array, not {DocumentReader.Describe(list)}");
            return result;
        }
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var at = $"$.{name}[{index++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                r.Error(at, $"must be a string, not {DocumentReader.Describe(item)}");
            }
            else if (check(item.GetString()!) is { } bad)
            {
                r.Error(at, $"'{DocumentReader.Printable(item.GetString()!)}' {bad}");
            }
            else
            {
                result.Add(item.GetString()!);
            }
        }
        return result;
    }

    private static string? CheckPattern(string pattern)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(50));
        }
        catch (ArgumentException ex)
        {
            return $"is not a valid regular expression: {ex.Message}";
        }
        try
        {
            _ = PbxConfiguration.AnchoredPattern(pattern);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"is not a valid regular expression once anchored as ^(?:pattern)$ (a (?x) comment, say, swallows the anchor): {ex.Message}";
        }
    }

    private static CallerId? CallerId(DocumentReader r, JsonElement callerId, string kind)
    {
        var entry = r.Object(callerId, kind, "$.caller_id");
        return entry is { } e
            ? new CallerId(r.String(e, "name", $"$.caller_id.{kind}", check: SafeText.CheckText), r.String(e, "number", $"$.caller_id.{kind}", check: SafeText.CheckExtension))
            : null;
    }
}
