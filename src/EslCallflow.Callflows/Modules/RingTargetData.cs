using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// device and user (KAZOO cf_device, cf_user): ring one device, or a user's devices. The two share their data and
/// their runner: each is a ring group of one member.
/// </summary>
public sealed record RingTargetData(EndpointType Type, string Id, int Timeout, bool SkipModule) : IModuleData
{
    public const string DeviceModule = "device";
    public const string UserModule = "user";

    public IEnumerable<DocumentReference> References => [new(DocumentReference.KindOf(Type), Id, "id")];

    /// <summary>What it rings: a simultaneous ring group of this one member, for the node's timeout, once.</summary>
    public RingGroupData AsRingGroup() => new(
        [new RingGroupEndpoint(Id, Type, 0, Timeout, RingGroupData.DefaultWeight)],
        RingStrategy.Simultaneous, Timeout, 1, null, null, null, false, true, false);

    internal static RingTargetData Parse(EndpointType type, DocumentReader reader, JsonElement data, string path) => new(
        type,
        reader.String(data, "id", path, required: true, check: SafeText.CheckId) ?? "",
        reader.Int(data, "timeout", path, RingGroupData.DefaultTimeout, 1, 3600),
        reader.Bool(data, "skip_module", path, false));
}
