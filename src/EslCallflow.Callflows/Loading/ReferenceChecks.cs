using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.Loading;

/// <summary>Checks across documents: ids that reference nothing, group cycles, duplicate numbers and SIP identities.</summary>
internal static class ReferenceChecks
{
    public static void Run(
        List<Device> devices, List<User> users, List<Group> groups, List<Callflow> callflows,
        Dictionary<(string Kind, string Id), string> files, List<ConfigError> errors)
    {
        var deviceIds = devices.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var userIds = users.Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
        var groupById = groups.ToDictionary(g => g.Id, StringComparer.Ordinal);
        var callflowIds = callflows.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);

        // An empty id was already reported as missing or invalid where it was read; one error per field.
        bool Exists(EndpointType type, string id) => id.Length == 0 || type switch
        {
            EndpointType.Device => deviceIds.Contains(id),
            EndpointType.User => userIds.Contains(id),
            _ => groupById.ContainsKey(id),
        };

        foreach (var device in devices)
        {
            if (device.OwnerId is { } owner && !userIds.Contains(owner))
            {
                errors.Add(new ConfigError(files[("devices", device.Id)], device.Id, "$.owner_id", $"user '{owner}' does not exist"));
            }
        }
        foreach (var clash in devices.GroupBy(d => $"{d.SipUsername}@{d.SipRealm}", StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            foreach (var device in clash.Skip(1))
            {
                errors.Add(new ConfigError(files[("devices", device.Id)], device.Id, "$.sip", $"SIP identity {clash.Key} is already device '{clash.First().Id}'"));
            }
        }

        foreach (var group in groups)
        {
            foreach (var endpoint in group.Endpoints.Where(e => !Exists(e.Type, e.Id)))
            {
                errors.Add(new ConfigError(files[("groups", group.Id)], group.Id, $"$.endpoints.{endpoint.Id}", $"{endpoint.Type.ToString().ToLowerInvariant()} '{endpoint.Id}' does not exist"));
            }
            if (FindCycle(group.Id, groupById, []) is { } cycle)
            {
                errors.Add(new ConfigError(files[("groups", group.Id)], group.Id, "$.endpoints", $"group cycle: {string.Join(" -> ", cycle)}"));
            }
        }

        var numberOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var callflow in callflows)
        {
            var file = files[("callflows", callflow.Id)];
            foreach (var number in callflow.Numbers)
            {
                if (numberOwners.TryGetValue(number, out var other))
                {
                    errors.Add(new ConfigError(file, callflow.Id, "$.numbers", $"number {number} is already used by callflow '{other}'"));
                }
                else
                {
                    numberOwners[number] = callflow.Id;
                }
            }
            CheckNode(callflow.Flow, "$.flow", file, callflow.Id, Exists, callflowIds, errors);
        }
    }

    private static void CheckNode(FlowNode node, string path, string file, string callflowId, Func<EndpointType, string, bool> exists, HashSet<string> callflowIds, List<ConfigError> errors)
    {
        void Missing(string at, string what) => errors.Add(new ConfigError(file, callflowId, at, $"{what} does not exist"));

        switch (node.Parsed)
        {
            case RingGroupData ring:
                for (var i = 0; i < ring.Endpoints.Count; i++)
                {
                    var e = ring.Endpoints[i];
                    if (!exists(e.Type, e.Id))
                    {
                        Missing($"{path}.data.endpoints[{i}].id", $"{e.Type.ToString().ToLowerInvariant()} '{e.Id}'");
                    }
                }
                break;
            case GroupPickupData pickup:
                foreach (var (scope, field) in new[] { (pickup.Scope, ""), (pickup.Approved, "approved_") })
                {
                    if (scope is not null && !exists((EndpointType)(int)scope.Kind, scope.Id))
                    {
                        Missing($"{path}.data.{field}{scope.Kind.ToString().ToLowerInvariant()}_id", $"{scope.Kind.ToString().ToLowerInvariant()} '{scope.Id}'");
                    }
                }
                break;
            case RingTargetData target when !exists(target.Type, target.Id):
                Missing($"{path}.data.id", $"{target.Type.ToString().ToLowerInvariant()} '{target.Id}'");
                break;
            case CallflowJumpData jump when jump.Id.Length > 0 && !callflowIds.Contains(jump.Id):
                Missing($"{path}.data.id", $"callflow '{jump.Id}'");
                break;
        }
        foreach (var (key, child) in node.Children)
        {
            CheckNode(child, $"{path}.children.{key}", file, callflowId, exists, callflowIds, errors);
        }
    }

    private static List<string>? FindCycle(string groupId, Dictionary<string, Group> groups, List<string> trail)
    {
        if (trail.Contains(groupId))
        {
            return trail[0] == groupId ? [.. trail, groupId] : null;
        }
        if (!groups.TryGetValue(groupId, out var group))
        {
            return null;
        }
        trail.Add(groupId);
        foreach (var nested in group.Endpoints.Where(e => e.Type == EndpointType.Group))
        {
            if (FindCycle(nested.Id, groups, trail) is { } cycle)
            {
                return cycle;
            }
        }
        trail.RemoveAt(trail.Count - 1);
        return null;
    }
}
