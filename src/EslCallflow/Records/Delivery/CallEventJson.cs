using System.Text.Json;
using System.Text.Json.Serialization;

namespace EslCallflow.Records.Delivery;

/// <summary>
/// The JSON of an event, as webhooks receive it and the spool keeps it: snake_case, nulls left out.
/// <c>{"id","type","record_id","sequence","call_uuid","occurred_at","record":{...}}</c>.
/// </summary>
public static class CallEventJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static SpooledEvent ToSpooled(CallEvent evt)
    {
        var json = JsonSerializer.Serialize(new Envelope(evt.Id, evt.Type, evt.RecordId, evt.Sequence, evt.CallUuid, evt.OccurredAt, evt.Record), Options);
        return new SpooledEvent(evt.Id, evt.RecordId, evt.CallUuid, evt.Type, evt.OccurredAt, json);
    }

    /// <summary>Reads back a spooled line; null for a line that is not a whole event (cut by a crash mid-write).</summary>
    public static SpooledEvent? FromLine(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            return new SpooledEvent(
                root.GetProperty("id").GetString()!,
                root.GetProperty("record_id").GetString()!,
                root.GetProperty("call_uuid").GetString()!,
                root.GetProperty("type").GetString()!,
                root.GetProperty("occurred_at").GetDateTimeOffset(),
                line);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>A webhook's body: the event, plus the hook's <c>custom_data</c> when it has some.</summary>
    public static string WebhookBody(string eventJson, IReadOnlyDictionary<string, string> customData)
    {
        if (customData.Count == 0)
        {
            return eventJson;
        }
        return string.Concat(eventJson.AsSpan(0, eventJson.LastIndexOf('}')), ",\"custom_data\":", JsonSerializer.Serialize(customData, Options), "}");
    }

    private sealed record Envelope(string Id, string Type, string RecordId, long Sequence, string CallUuid, DateTimeOffset OccurredAt, CallRecord Record);
}
