using System.Text.Json;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// group_pickup (KAZOO cf_group_pickup): answer a call ringing a device in <see cref="Scope"/>, if the picker is in
/// <see cref="Approved"/> (anyone when it is not set).
/// </summary>
public sealed record GroupPickupData(PickupScope Scope, PickupScope? Approved, bool SkipModule) : IModuleData
{
    public const string Module = "group_pickup";

    public IEnumerable<DocumentReference> References =>
        Approved is null ? [Scope.Reference("")] : [Scope.Reference(""), Approved.Reference("approved_")];

    internal static GroupPickupData? Parse(DocumentReader reader, JsonElement data, string path)
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
