using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Pickup;

/// <summary>The devices a directed pickup may take a call from, and how they were found (for logs and <c>plan</c>).</summary>
public sealed record DirectedPickupTarget(string Description, IReadOnlyList<Device> Devices);

/// <summary>
/// group_pickup_feature targets, pure: the digits dialled after the feature code name an extension, a device,
/// that device's user or its groups (KAZOO's group_pickup_feature <c>type</c>).
/// </summary>
public static class DirectedPickup
{
    private const int MaxJumps = 32;

    /// <summary>The target <paramref name="digits"/> names, or null when nothing is known by them.</summary>
    public static DirectedPickupTarget? Resolve(PbxConfiguration config, DirectedPickupType type, string digits)
    {
        if (type == DirectedPickupType.Extension)
        {
            return ByExtension(config, digits);
        }
        if (DeviceByUsername(config, digits) is not { } device)
        {
            return null;
        }
        return type switch
        {
            DirectedPickupType.Device => new DirectedPickupTarget($"device {device.Id}", [device]),
            DirectedPickupType.User when device.OwnerId is { } owner => new DirectedPickupTarget($"user {owner}", config.DevicesOf(owner)),
            // A device without an owner is its own user.
            DirectedPickupType.User => new DirectedPickupTarget($"device {device.Id} (no owner)", [device]),
            _ => GroupsOf(config, device),
        };
    }

    /// <summary>
    /// The callflow whose number is the digits, walked depth-first to the first module that rings (device,
    /// user, ring_group; a callflow module is followed); a ring group's members are resolved as the planner
    /// resolves them, without any caller's exclusions. No such callflow: the device whose SIP username is the
    /// digits (a phone's extension, which the switch's own dialplan routes).
    /// </summary>
    private static DirectedPickupTarget? ByExtension(PbxConfiguration config, string digits)
    {
        if (config.FindCallflow(digits) is { } callflow)
        {
            var devices = FirstRinging(config, callflow.Flow, 0);
            return devices is null ? null : new DirectedPickupTarget($"extension {digits} (callflow {callflow.Id})", devices);
        }
        return DeviceByUsername(config, digits) is { } device ? new DirectedPickupTarget($"extension {digits} (device {device.Id})", [device]) : null;
    }

    private static IReadOnlyList<Device>? FirstRinging(PbxConfiguration config, FlowNode node, int jumps)
    {
        if (node.Parsed?.Rings is { } ring)
        {
            return Members(config, ring.Endpoints, ring.Strategy);
        }
        // A module that names a callflow goes on there (the callflow module); a missing one was refused at load.
        if (node.Parsed?.References.FirstOrDefault(r => r.Kind == DocumentKind.Callflow) is { } jump
            && jumps < MaxJumps && config.Callflows.TryGetValue(jump.Id, out var next))
        {
            return FirstRinging(config, next.Flow, jumps + 1);
        }
        foreach (var child in node.Children.OrderBy(c => c.Key == FlowNode.DefaultChild ? 0 : 1).ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            if (FirstRinging(config, child.Value, jumps + 1) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    private static IReadOnlyList<Device> Members(PbxConfiguration config, IReadOnlyList<RingGroupEndpoint> members, RingStrategy strategy)
    {
        var resolved = EndpointResolver.Resolve(config, members, strategy, CallerContext.External);
        // Left out (disabled, do not disturb) devices still belong to the extension: they are scope, not legs.
        var left = resolved.Excluded.Select(e => config.Devices.GetValueOrDefault(e.DeviceId)).OfType<Device>();
        return [.. resolved.Legs.Select(l => l.Device).Concat(left).DistinctBy(d => d.Id)];
    }

    private static DirectedPickupTarget GroupsOf(PbxConfiguration config, Device device)
    {
        var groups = config.Groups.Values
            .Where(g => PickupScopes.DevicesIn(config, new PickupScope(PickupScopeKind.Group, g.Id)).Any(d => d.Id == device.Id))
            .OrderBy(g => g.Id, StringComparer.Ordinal)
            .ToList();
        var devices = groups.SelectMany(g => PickupScopes.DevicesIn(config, new PickupScope(PickupScopeKind.Group, g.Id))).DistinctBy(d => d.Id).ToList();
        return new DirectedPickupTarget(groups.Count == 0 ? $"device {device.Id} (in no group)" : "groups " + string.Join(", ", groups.Select(g => g.Id)), devices);
    }

    /// <summary>A device by its SIP username alone (any realm): the digits carry no realm.</summary>
    private static Device? DeviceByUsername(PbxConfiguration config, string digits) =>
        config.Devices.Values.Where(d => d.SipUsername == digits).OrderBy(d => d.Id, StringComparer.Ordinal).FirstOrDefault();
}
