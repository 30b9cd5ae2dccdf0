using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// device and user (KAZOO cf_device, cf_user): ring one device, or a user's devices. The two share their data and
/// their runner: each is a ring group of one member.
/// </summary>
public sealed record RingTargetData(EndpointType Type, string Id, int Timeout, bool SkipModule) : IModuleData<RingTargetData>
{
    public const string DeviceModule = "device";
    public const string UserModule = "user";

    public static IReadOnlyList<string> Modules { get; } = [DeviceModule, UserModule];

    public IEnumerable<DocumentReference> References => [new(DocumentReference.KindOf(Type), Id, "id")];

    public RingGroupData Rings => RingGroupData.RingOne(Type, Id, Timeout);

    public static RingTargetData Parse(string module, DocumentReader reader, JsonElement data, string path) => new(
        module == UserModule ? EndpointType.User : EndpointType.Device,
        reader.String(data, "id", path, required: true, check: SafeText.CheckId) ?? "",
        reader.Int(data, "timeout", path, RingGroupData.DefaultTimeout, 1, 3600),
        reader.Bool(data, "skip_module", path, false));
}
