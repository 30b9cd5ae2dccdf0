using System.Text.Json;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Pickup;

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
public sealed record GroupPickupFeatureData(DirectedPickupType Type, PickupScope? Approved, bool SkipModule) : IModuleData<GroupPickupFeatureData>, IPickupData
{
    public const string Module = "group_pickup_feature";

    public static IReadOnlyList<string> Modules { get; } = [Module];

    private static readonly Dictionary<string, DirectedPickupType> Types = new(StringComparer.Ordinal)
    {
        ["extension"] = DirectedPickupType.Extension,
        ["device"] = DirectedPickupType.Device,
        ["user"] = DirectedPickupType.User,
        ["group"] = DirectedPickupType.Group,
    };

    public IEnumerable<DocumentReference> References => Approved is null ? [] : [Approved.Reference("approved_")];

    /// <summary>What the pattern's first capture names; without one the feature code was dialled alone and names nothing.</summary>
    public DirectedPickupTarget? Target(PbxConfiguration config, IReadOnlyList<string> captures) =>
        Digits(captures) is { Length: > 0 } digits ? DirectedPickup.Resolve(config, Type, digits) : null;

    public (string Kind, string Name) Asked(IReadOnlyList<string> captures) => (Type.ToString().ToLowerInvariant(), Digits(captures));

    private static string Digits(IReadOnlyList<string> captures) => captures.Count > 0 ? captures[0] : string.Empty;

    public static GroupPickupFeatureData Parse(string module, DocumentReader reader, JsonElement data, string path) => new(
        reader.Enum(data, "type", path, Types, DirectedPickupType.Extension) ?? DirectedPickupType.Extension,
        PickupScope.Read(reader, data, path, "approved_"),
        reader.Bool(data, "skip_module", path, false));
}
