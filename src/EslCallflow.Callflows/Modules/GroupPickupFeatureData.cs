using System.Text.Json;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>What the digits dialled after a directed-pickup feature code name (KAZOO group_pickup_feature <c>type</c>).</summary>
public enum DirectedPickupType
{
    Extension,
    Device,
    User,
    Group,
}

/// <summary>
/// group_pickup_feature (KAZOO cf_group_pickup_feature): the callflow pattern's first capture names the target
/// (see Pickup/DirectedPickup); approvals as for group_pickup.
/// </summary>
public sealed record GroupPickupFeatureData(DirectedPickupType Type, PickupScope? Approved, bool SkipModule) : IModuleData
{
    public const string Module = "group_pickup_feature";

    private static readonly Dictionary<string, DirectedPickupType> Types = new(StringComparer.Ordinal)
    {
        ["extension"] = DirectedPickupType.Extension,
        ["device"] = DirectedPickupType.Device,
        ["user"] = DirectedPickupType.User,
        ["group"] = DirectedPickupType.Group,
    };

    public IEnumerable<DocumentReference> References => Approved is null ? [] : [Approved.Reference("approved_")];

    internal static GroupPickupFeatureData Parse(DocumentReader reader, JsonElement data, string path) => new(
        reader.Enum(data, "type", path, Types, DirectedPickupType.Extension) ?? DirectedPickupType.Extension,
        PickupScope.Read(reader, data, path, "approved_"),
        reader.Bool(data, "skip_module", path, false));
}
