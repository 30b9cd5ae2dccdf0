using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>behaviour.md ring_group rules 1 to 3: expand members to devices, keep one leg per device, leave out who must not ring.</summary>
public static class EndpointResolver
{
    public static ResolvedMembers Resolve(PbxConfiguration config, IReadOnlyList<RingGroupEndpoint> members, RingStrategy strategy, CallerContext caller)
    {
        var expanded = new List<ResolvedLeg>(members.Count);
        var excluded = new List<Exclusion>();
        // Groups on the current expansion path (a cycle check); made only when a member is a group.
        HashSet<string>? visitedGroups = null;
        foreach (var member in members)
        {
            Expand(config, member.Type, member.Id, member.Delay, member.Timeout, member.Weight, expanded, excluded, ref visitedGroups);
        }

        var legs = new List<ResolvedLeg>();
        var indexByDevice = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var leg in expanded)
        {
            if (ExclusionReason(config, leg.Device, caller) is { } reason)
            {
                if (!excluded.Any(e => e.DeviceId == leg.Device.Id))
                {
                    excluded.Add(new Exclusion(leg.Device.Id, reason));
                }
                continue;
            }
            if (indexByDevice.TryGetValue(leg.Device.Id, out var index))
            {
                // Rule 2: one leg per device; simultaneous keeps the earliest start, the ordered strategies the first.
                if (strategy == RingStrategy.Simultaneous && leg.Delay < legs[index].Delay)
                {
                    legs[index] = leg;
                }
                continue;
            }
            indexByDevice[leg.Device.Id] = legs.Count;
            legs.Add(leg);
        }
        return new ResolvedMembers(legs, excluded);
    }

    private static void Expand(PbxConfiguration config, EndpointType type, string id, int delay, int timeout, int weight, List<ResolvedLeg> into, List<Exclusion> excluded, ref HashSet<string>? visitedGroups)
    {
        switch (type)
        {
            case EndpointType.Device when config.Devices.TryGetValue(id, out var device):
                into.Add(new ResolvedLeg(device, delay, timeout, weight));
                break;
            case EndpointType.User:
                var devices = config.DevicesOf(id);
                if (devices.Count == 0)
                {
                    excluded.Add(new Exclusion($"user:{id}", "user has no devices"));
                }
                foreach (var owned in devices)
                {
                    into.Add(new ResolvedLeg(owned, delay, timeout, weight));
                }
                break;
            case EndpointType.Group when config.Groups.TryGetValue(id, out var group):
                var path = visitedGroups ??= new HashSet<string>(StringComparer.Ordinal);
                if (!path.Add(id))
                {
                    excluded.Add(new Exclusion($"group:{id}", "group already expanded (cycle)"));
                    return;
                }
                foreach (var endpoint in group.Endpoints)
                {
                    Expand(config, endpoint.Type, endpoint.Id, endpoint.Delay ?? delay, endpoint.Timeout ?? timeout, endpoint.Weight ?? weight, into, excluded, ref visitedGroups);
                }
                path.Remove(id);
                break;
            default:
                excluded.Add(new Exclusion($"{type.ToString().ToLowerInvariant()}:{id}", "does not exist"));
                break;
        }
    }

    private static string? ExclusionReason(PbxConfiguration config, Device device, CallerContext caller)
    {
        if (caller.Device is { } calling)
        {
            if (calling.Id == device.Id)
            {
                return "is the calling device";
            }
            if (calling.OwnerId is { } callerUser && device.OwnerId == callerUser)
            {
                return $"belongs to the caller's user '{callerUser}'";
            }
        }
        if (!device.Enabled)
        {
            return "device is disabled";
        }
        if (device.DoNotDisturb)
        {
            return "device has do-not-disturb on";
        }
        if (device.OwnerId is { } ownerId && config.Users.TryGetValue(ownerId, out var owner))
        {
            if (!owner.Enabled)
            {
                return $"owner '{ownerId}' is disabled";
            }
            if (owner.DoNotDisturb)
            {
                return $"owner '{ownerId}' has do-not-disturb on";
            }
        }
        return null;
    }
}
