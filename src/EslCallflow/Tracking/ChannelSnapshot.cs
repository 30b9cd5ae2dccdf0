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
    public static IReadOnlyList<ChannelSeed> Parse(string reply) => Parse(reply, out _);

    /// <summary>As <see cref="Parse(string)"/>; a row that is not a channel object is left out and counted in <paramref name="skipped"/>.</summary>
    /// <exception cref="FormatException">The reply is not the JSON FreeSWITCH sends (an -ERR line, say).</exception>
    public static IReadOnlyList<ChannelSeed> Parse(string reply, out int skipped)
    {
        skipped = 0;
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
                if (Seed(row) is { } seed)
                {
                    seeds.Add(seed);
                }
                else
                {
                    skipped++;
                }
            }
            return seeds;
        }
    }

    /// <summary>One row as a channel, or null when it is not one (not an object, no uuid, text that is not text).</summary>
    private static ChannelSeed? Seed(JsonElement row)
    {
        if (row.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        try
        {
            if (Text(row, "uuid") is not { } uuid)
            {
                return null;
            }
            var callState = Text(row, "callstate") ?? string.Empty;
            var otherLeg = Text(row, "call_uuid");
            var created = long.TryParse(Text(row, "created_epoch"), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) ? epoch * 1_000_000 : 0;
            return new ChannelSeed(
                uuid,
                Text(row, "direction") == "outbound",
                callState,
                !NotYetAnswered.Contains(callState),
                created,
                otherLeg == uuid ? null : otherLeg,
                Text(row, "presence_id"),
                null);
        }
        catch (InvalidOperationException)
        {
            // A string holding an escaped lone surrogate cannot be read as text; that row alone is left out.
            return null;
        }
    }

    private static string? Text(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private static string First(string reply) => reply.Length > 80 ? reply[..80] + "..." : reply.TrimEnd();
}
