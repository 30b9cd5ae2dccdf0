using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

public enum PickupScopeKind
{
    Device,
    User,
    Group,
}

/// <summary>A device, user or group a pickup module names: where calls may be picked up, or who is approved to.</summary>
public sealed record PickupScope(PickupScopeKind Kind, string Id)
{
    /// <summary>The kind of document <see cref="Id"/> names, mapped by name so neither enum's order matters.</summary>
    public EndpointType DocumentType => Kind switch
    {
        PickupScopeKind.Device => EndpointType.Device,
        PickupScopeKind.User => EndpointType.User,
        PickupScopeKind.Group => EndpointType.Group,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "not a pickup scope kind"),
    };

    /// <summary>The data field that named this scope, e.g. <c>approved_user_id</c> for <paramref name="prefix"/> <c>approved_</c>.</summary>
    public DocumentReference Reference(string prefix) =>
        new(DocumentReference.KindOf(DocumentType), Id, $"{prefix}{Kind.ToString().ToLowerInvariant()}_id");

    /// <summary>
    /// The most restrictive of <c>{prefix}device_id</c>, <c>{prefix}user_id</c> and <c>{prefix}group_id</c> that is
    /// set, as KAZOO's cf_group_pickup chooses; null when none is.
    /// </summary>
    internal static PickupScope? Read(DocumentReader reader, JsonElement data, string path, string prefix)
    {
        var deviceId = reader.String(data, $"{prefix}device_id", path, check: SafeText.CheckId);
        var userId = reader.String(data, $"{prefix}user_id", path, check: SafeText.CheckId);
        var groupId = reader.String(data, $"{prefix}group_id", path, check: SafeText.CheckId);
        return deviceId is not null ? new PickupScope(PickupScopeKind.Device, deviceId)
            : userId is not null ? new PickupScope(PickupScopeKind.User, userId)
            : groupId is not null ? new PickupScope(PickupScopeKind.Group, groupId)
            : null;
    }
}
