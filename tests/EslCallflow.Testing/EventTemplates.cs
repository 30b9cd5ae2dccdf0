using System.Text;
using System.Text.Json;

namespace EslCallflow.Testing;

/// <summary>
/// Real captured events used as templates: a fake event is a captured one with only the fields that
/// matter to the test replaced, so every other header is exactly what FreeSWITCH sends.
/// </summary>
public static class EventTemplates
{
    private static readonly Lazy<Dictionary<string, string>> CallerChannelEvent = new(() =>
        FirstJsonEvent("outbound-basic-json.txt", "CHANNEL_EXECUTE"));

    private static readonly Lazy<Dictionary<string, string>> RingingLegTemplate = new(() =>
        FirstJsonEvent("events-pickup-json.txt", "CHANNEL_CREATE", e => e.GetValueOrDefault("Call-Direction") == "outbound"));

    private static readonly Lazy<List<KeyValuePair<string, string>>> ConnectReplyHeaders = new(LoadConnectReply);

    /// <summary>An event of the caller's (inbound, socket-controlled) channel.</summary>
    public static Dictionary<string, string> CallerEvent(string eventName, string uuid, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var evt = new Dictionary<string, string>(CallerChannelEvent.Value, StringComparer.Ordinal);
        evt.Remove("Application");
        evt.Remove("Application-Data");
        evt.Remove("Application-UUID");
        Set(evt, eventName, uuid, overrides);
        return evt;
    }

    /// <summary>An event of a leg our switch dials toward a phone (outbound, carries Other-Leg-Unique-ID).</summary>
    public static Dictionary<string, string> RingingLegEvent(string eventName, string uuid, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var evt = new Dictionary<string, string>(RingingLegTemplate.Value, StringComparer.Ordinal);
        Set(evt, eventName, uuid, overrides);
        return evt;
    }

    /// <summary>The header list of a real connect reply, with ours replacing the call-specific ones.</summary>
    public static List<KeyValuePair<string, string>> ChannelData(IReadOnlyDictionary<string, string> overrides)
    {
        var list = ConnectReplyHeaders.Value.Select(h => overrides.TryGetValue(h.Key, out var v) ? new KeyValuePair<string, string>(h.Key, v) : h).ToList();
        foreach (var (name, value) in overrides)
        {
            if (!list.Any(h => h.Key == name))
            {
                list.Add(new(name, value));
            }
        }
        return list;
    }

    private static void Set(Dictionary<string, string> evt, string eventName, string uuid, IReadOnlyDictionary<string, string>? overrides)
    {
        evt["Event-Name"] = eventName;
        evt["Unique-ID"] = uuid;
        evt["Channel-Call-UUID"] = uuid;
        evt["Caller-Unique-ID"] = uuid;
        evt["variable_uuid"] = uuid;
        evt["Event-Date-Timestamp"] = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (overrides is not null)
        {
            foreach (var (name, value) in overrides)
            {
                evt[name] = value;
            }
        }
    }

    private static Dictionary<string, string> FirstJsonEvent(string file, string eventName, Func<Dictionary<string, string>, bool>? where = null)
    {
        foreach (var body in JsonBodies(Transcript.ReceivedStream(file)))
        {
            // Multi-valued headers (variable_DP_MATCH) are json arrays; keep their json text.
            var evt = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(body)!
                .ToDictionary(p => p.Key, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal);
            if (evt["Event-Name"] == eventName && (where is null || where(evt)))
            {
                return evt;
            }
        }
        throw new InvalidOperationException($"no {eventName} in {file}");
    }

    /// <summary>The json bodies of every text/event-json frame in a received stream.</summary>
    public static IEnumerable<byte[]> JsonBodies(byte[] stream)
    {
        var position = 0;
        while (position < stream.Length)
        {
            var headerEnd = stream.AsSpan(position).IndexOf("\n\n"u8);
            if (headerEnd < 0)
            {
                yield break;
            }
            var head = Encoding.UTF8.GetString(stream, position, headerEnd);
            position += headerEnd + 2;
            var lengthLine = head.Split('\n').FirstOrDefault(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal));
            if (lengthLine is null)
            {
                continue;
            }
            var length = int.Parse(lengthLine["Content-Length: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            if (head.Contains("text/event-json", StringComparison.Ordinal))
            {
                yield return stream.AsSpan(position, length).ToArray();
            }
            position += length;
        }
    }

    private static List<KeyValuePair<string, string>> LoadConnectReply()
    {
        var reply = Transcript.Load("outbound-basic-json.txt").First(c => c.Direction == TranscriptDirection.Received).Text;
        return reply.Split('\n')
            .Where(l => l.Contains(": ", StringComparison.Ordinal))
            .Select(l => l.Split(": ", 2))
            .Where(p => p[0] is not ("Content-Type" or "Reply-Text" or "Socket-Mode" or "Control"))
            .Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p[1])))
            .ToList();
    }
}
