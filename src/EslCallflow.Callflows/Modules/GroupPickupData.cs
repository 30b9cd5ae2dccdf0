using System.Text.Json;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Pickup;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// group_pickup (KAZOO cf_group_pickup): answer a call ringing a device in <see cref="Scope"/>, if the picker is in
/// <see cref="Approved"/> (anyone when it is not set).
/// </summary>
public sealed record GroupPickupData(PickupScope Scope, PickupScope? Approved, bool SkipModule) : IModuleData<GroupPickupData>, IPickupData
{
    public const string Module = "group_pickup";

    public static IReadOnlyList<string> Modules { get; } = [Module];

    public IEnumerable<DocumentReference> References =>
        Approved is null ? [Scope.Reference("")] : [Scope.Reference(""), Approved.Reference("approved_")];

    /// <summary>The scope's devices: a device, a user's devices, or a group's; the pattern's captures play no part.</summary>
    public DirectedPickupTarget Target(PbxConfiguration config, IReadOnlyList<string> captures) =>
        new($"{Scope.Kind.ToString().ToLowerInvariant()} {Scope.Id}", PickupScopes.DevicesIn(config, Scope));

    public (string Kind, string Name) Asked(IReadOnlyList<string> captures) => (Scope.Kind.ToString().ToLowerInvariant(), Scope.Id);

    public static GroupPickupData? Parse(string module, DocumentReader reader, JsonElement data, string path)
    {
        var scope = PickupScope.Read(reader, data, path, "");
        var approved = PickupScope.Read(reader, data, path, "approved_");
        var skip = reader.Bool(data, "skip_module", path, false);
        if (scope is null)
        {
            reader.Error(path, "group_pickup needs a scope: one of device_id, user_id or group_id");
            return null;
        }
        return new GroupPickupData(scope, approved, skip);
    }
}
