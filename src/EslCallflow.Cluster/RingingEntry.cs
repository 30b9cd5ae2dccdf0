using System.Text.Json;
using System.Text.Json.Serialization;

namespace EslCallflow.Cluster;

/// <summary>
/// A leg ringing on one node, as that node publishes it: the ringing leg, the caller's leg (what a pickup claims
/// and intercepts), the device as our variable names it and as its SIP identity does, the keys it is found under,
/// and since when it rings (FreeSWITCH's microseconds, comparable across nodes with synchronised clocks).
/// </summary>
public sealed record RingingEntry(
    [property: JsonPropertyName("leg")] string LegUuid,
    [property: JsonPropertyName("caller")] string? CallerUuid,
    [property: JsonPropertyName("device")] string? DeviceId,
    [property: JsonPropertyName("sip")] string? SipIdentity,
    [property: JsonPropertyName("keys")] IReadOnlyList<string> DeviceKeys,
    [property: JsonPropertyName("since")] long RingingSince,
    [property: JsonPropertyName("node")] string NodeId)
{
    internal string ToJson() => JsonSerializer.Serialize(this, ClusterJson.Default.RingingEntry);

    /// <summary>An entry as stored, or null when it is not one (written by something else, or damaged).</summary>
    internal static RingingEntry? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ClusterJson.Default.RingingEntry) is { LegUuid.Length: > 0, NodeId.Length: > 0, DeviceKeys: not null } entry ? entry : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A leg ringing somewhere in the cluster, with where its node's FreeSWITCH is reached.</summary>
public sealed record ClusterRingingLeg(RingingEntry Entry, string NodeSipUri);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RingingEntry))]
internal sealed partial class ClusterJson : JsonSerializerContext;
