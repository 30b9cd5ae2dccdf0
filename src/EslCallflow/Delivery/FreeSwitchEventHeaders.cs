using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EslCallflow.Delivery;

/// <summary>
/// An event as the headers of FreeSWITCH's <c>CUSTOM eslcallflow::call</c>: <c>Event-Subclass</c>, then
/// <list type="bullet">
/// <item><see cref="FreeSwitchEventHeaderSet.Keys"/>: the fields a consumer filters on (<c>Eslcallflow-Event</c>,
/// <c>Eslcallflow-Call-Uuid</c>, and <c>Eslcallflow-Outcome</c> once there is one); the id, the sequence and the
/// record are in the body.</item>
/// <item><see cref="FreeSwitchEventHeaderSet.Subclass"/>: nothing more; everything is in the body.</item>
/// <item><see cref="FreeSwitchEventHeaderSet.Record"/>: every field of the event and its record flattened,
/// <c>Eslcallflow-</c> and the path in Title-Case (<c>record.answered.device_id</c> is <c>Eslcallflow-Answered-Device-Id</c>;
/// list items are numbered from 1; lists of names are comma-separated).</item>
/// </list>
/// Keys is the default because of what a header costs the switch: mod_event_socket.c <c>read_packet</c> reads a
/// command's headers one byte per <c>recv</c> and yields the CPU after each (<c>switch_os_yield</c>), while it reads
/// the body in one; the whole record as headers (about 900 bytes an event) cost FreeSWITCH about 22 ms of CPU per
/// call, four events, about 6 µs a byte (BENCHMARKS.md). Values are one line each (control characters become
/// spaces). The call's UUID goes as <c>Eslcallflow-Call-Uuid</c>, never <c>Unique-ID</c> (which would hand the event
/// to that channel instead of firing it).
/// </summary>
public static class FreeSwitchEventHeaders
{
    public const string Subclass = "eslcallflow::call";
    private const string Prefix = "Eslcallflow-";

    public static IReadOnlyList<KeyValuePair<string, string>> From(string eventJson, FreeSwitchEventHeaderSet set = FreeSwitchEventHeaderSet.Keys)
    {
        var headers = new List<KeyValuePair<string, string>> { new("Event-Subclass", Subclass) };
        if (set == FreeSwitchEventHeaderSet.Subclass)
        {
            return headers;
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var doc = JsonDocument.Parse(eventJson);
        if (set == FreeSwitchEventHeaderSet.Keys)
        {
            var root = doc.RootElement;
            Key(root, "type", "Event");
            Key(root, "call_uuid", "Call-Uuid");
            if (root.TryGetProperty("record", out var record))
            {
                Key(record, "outcome", "Outcome");
            }
            return headers;
        }
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "record")
            {
                foreach (var field in property.Value.EnumerateObject())
                {
                    Flatten(Prefix + Title(field.Name), field.Value, headers, seen);
                }
            }
            else
            {
                Flatten(Prefix + (property.Name == "type" ? "Event" : Title(property.Name)), property.Value, headers, seen);
            }
        }
        return headers;

        void Key(JsonElement parent, string field, string header)
        {
            if (parent.TryGetProperty(field, out var value))
            {
                Flatten(Prefix + header, value, headers, seen);
            }
        }
    }

    private static void Flatten(string name, JsonElement value, List<KeyValuePair<string, string>> headers, HashSet<string> seen)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var field in value.EnumerateObject())
                {
                    Flatten(name + "-" + Title(field.Name), field.Value, headers, seen);
                }
                break;
            case JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind is not JsonValueKind.Object and not JsonValueKind.Array):
                Add(name, string.Join(',', value.EnumerateArray().Select(Scalar)), headers, seen);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Flatten(name + "-" + (++index).ToString(CultureInfo.InvariantCulture), item, headers, seen);
                }
                break;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            default:
                Add(name, Scalar(value), headers, seen);
                break;
        }
    }

    private static void Add(string name, string value, List<KeyValuePair<string, string>> headers, HashSet<string> seen)
    {
        if (seen.Add(name))
        {
            headers.Add(new(name, OneLine(value)));
        }
    }

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    private static string OneLine(string value) =>
        value.Any(char.IsControl) ? new string([.. value.Select(c => char.IsControl(c) ? ' ' : c)]) : value;

    /// <summary><c>device_id</c> → <c>Device-Id</c>.</summary>
    public static string Title(string snake)
    {
        var text = new StringBuilder(snake.Length);
        var upper = true;
        foreach (var c in snake)
        {
            if (c == '_')
            {
                text.Append('-');
                upper = true;
                continue;
            }
            text.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return text.ToString();
    }
}
