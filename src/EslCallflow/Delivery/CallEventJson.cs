using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EslCallflow.Delivery;

/// <summary>
/// The JSON of an event, as webhooks receive it and the spool keeps it: snake_case, nulls left out. Its envelope
/// is <c>{"id","type","record_id","sequence","call_uuid","occurred_at",...}</c>; what follows is the event's own.
/// </summary>
public static class CallEventJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Reads back a spooled event's UTF-8 bytes (one line, without its newline); null for bytes that are not one
    /// whole event (a line cut by a crash mid-write, a file changed by hand).
    /// </summary>
    public static SpooledEvent? FromUtf8(ReadOnlySpan<byte> utf8)
    {
        string? id = null, recordId = null, callUuid = null, type = null;
        DateTimeOffset? occurredAt = null;
        var reader = new Utf8JsonReader(utf8);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            // The envelope's own fields come before the record, which is only checked to be whole.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("id"u8))
                {
                    id = reader.GetString();
                }
                else if (name.SequenceEqual("record_id"u8))
                {
                    recordId = reader.GetString();
                }
                else if (name.SequenceEqual("call_uuid"u8))
                {
                    callUuid = reader.GetString();
                }
                else if (name.SequenceEqual("type"u8))
                {
                    type = reader.GetString();
                }
                else if (name.SequenceEqual("occurred_at"u8))
                {
                    occurredAt = reader.GetDateTimeOffset();
                }
                else
                {
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || id is null || recordId is null || callUuid is null || type is null || occurredAt is null)
            {
                return null;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
        return new SpooledEvent(id, recordId, callUuid, type, occurredAt.Value, Encoding.UTF8.GetString(utf8));
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
}
