using System.Globalization;
using System.Text.Json;

namespace EslCallflow.Tracking;

/// <summary>
/// Reads <c>show channels as json</c>. With no channels FreeSWITCH answers <c>{"row_count": 0}</c> without
/// <c>rows</c>. A ringing leg's <c>call_uuid</c> is its caller's leg.
/// </summary>
public static class ChannelSnapshot
{
    private static readonly HashSet<string> NotYetAnswered = new(StringComparer.Ordinal) { "DOWN", "DIALING", "RINGING", "EARLY", "" };

    /// <exception cref="FormatException">The reply is not the JSON FreeSWITCH sends (an -ERR line, say).</exception>
    public static IReadOnlyList<ChannelSeed> Parse(string reply)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(reply);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"'show channels as json' did not return JSON: {First(reply)}", ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"'show channels as json' returned {document.RootElement.ValueKind}, not an object");
            }
            if (!document.RootElement.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            var seeds = new List<ChannelSeed>(rows.GetArrayLength());
            foreach (var row in rows.EnumerateArray())
            {
                if (Text(row, "uuid") is not { } uuid)
                {
                    continue;
                }
                var callState = Text(row, "callstate") ?? string.Empty;
                var otherLeg = Text(row, "call_uuid");
                var created = long.TryParse(Text(row, "created_epoch"), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) ? epoch * 1_000_000 : 0;
                seeds.Add(new ChannelSeed(
                    uuid,
                    Text(row, "direction") == "outbound",
                    callState,
                    !NotYetAnswered.Contains(callState),
                    created,
                    otherLeg == uuid ? null : otherLeg,
                    Text(row, "presence_id"),
                    null));
            }
            return seeds;
        }
    }

    private static string? Text(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private static string First(string reply) => reply.Length > 80 ? reply[..80] + "..." : reply.TrimEnd();
}
