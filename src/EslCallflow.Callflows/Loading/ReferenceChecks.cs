using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.Loading;

/// <summary>Checks across documents: ids that reference nothing, group cycles, duplicate numbers and SIP identities.</summary>
internal static class ReferenceChecks
{
    /// <summary>Expanding groups recurses once per level, at load and on every call; this keeps it far from the stack's end.</summary>
    public const int MaxGroupNesting = 100;

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
            if (FindCycle(group.Id, id => groupById.TryGetValue(id, out var g) ? g.Endpoints.Where(e => e.Type == EndpointType.Group).Select(e => e.Id) : []) is { } cycle)
            {
                errors.Add(new ConfigError(files[("groups", group.Id)], group.Id, "$.endpoints", $"group cycle: {string.Join(" -> ", cycle)}"));
            }
        }

        if (DeepestNesting(groups, groupById) is { Depth: > MaxGroupNesting } deepest)
        {
            errors.Add(new ConfigError(files[("groups", deepest.Group)], deepest.Group, "$.endpoints",
                $"groups are nested {deepest.Depth} levels deep from here; at most {MaxGroupNesting} are allowed"));
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

        // A callflow module that leads back to where it started loops until the call's step limit ends it.
        var jumps = callflows.ToDictionary(c => c.Id, c => Jumps(c.Flow, "$.flow").Where(j => callflowIds.Contains(j.Target)).ToList(), StringComparer.Ordinal);
        foreach (var callflow in callflows)
        {
            if (FindCycle(callflow.Id, id => jumps.TryGetValue(id, out var targets) ? targets.Select(j => j.Target) : []) is { } cycle)
            {
                var first = jumps[callflow.Id].First(j => j.Target == cycle[1]);
                errors.Add(new ConfigError(files[("callflows", callflow.Id)], callflow.Id, $"{first.Path}.data.id",
                    $"callflow cycle: {string.Join(" -> ", cycle)} (a call would go round until it is ended after too many steps)"));
            }
        }
    }

    /// <summary>The callflows a flow jumps to (skipped callflow modules do not jump), with where each jump is.</summary>
    private static IEnumerable<(string Target, string Path)> Jumps(FlowNode node, string path)
    {
        if (node.Parsed is CallflowJumpData { SkipModule: false } jump && jump.Id.Length > 0)
        {
            yield return (jump.Id, path);
        }
        foreach (var (key, child) in node.Children)
        {
            foreach (var nested in Jumps(child, $"{path}.children.{key}"))
            {
                yield return nested;
            }
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

    /// <summary>
    /// The group with the longest chain of nested groups below it (itself counting 1), leaves first and without
    /// recursion, as a chain may be long. Groups on a cycle are left out: the cycle is reported on its own.
    /// </summary>
    private static (string Group, int Depth)? DeepestNesting(List<Group> groups, Dictionary<string, Group> groupById)
    {
        static IEnumerable<string> Nested(Group group, Dictionary<string, Group> byId) =>
            group.Endpoints.Where(e => e.Type == EndpointType.Group && byId.ContainsKey(e.Id)).Select(e => e.Id);

        var waitingOn = groups.ToDictionary(g => g.Id, g => Nested(g, groupById).Count(), StringComparer.Ordinal);
        var containedBy = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            foreach (var nested in Nested(group, groupById))
            {
                (containedBy.TryGetValue(nested, out var parents) ? parents : containedBy[nested] = []).Add(group.Id);
            }
        }
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        var ready = new Queue<string>(waitingOn.Where(p => p.Value == 0).Select(p => p.Key));
        (string Group, int Depth)? deepest = null;
        while (ready.TryDequeue(out var id))
        {
            var own = 1 + Nested(groupById[id], groupById).Select(n => depth[n]).DefaultIfEmpty(0).Max();
            depth[id] = own;
            if (deepest is null || own > deepest.Value.Depth)
            {
                deepest = (id, own);
            }
            foreach (var parent in containedBy.GetValueOrDefault(id) ?? [])
            {
                if (--waitingOn[parent] == 0)
                {
                    ready.Enqueue(parent);
                }
            }
        }
        return deepest;
    }

    /// <summary>
    /// A path from <paramref name="start"/> back to itself, the first in depth-first order, or null. Each node
    /// is entered once per search: one that was left without finding the way back cannot find it later either,
    /// so diamonds (many paths to one node) cost their size, not the number of paths through them.
    /// </summary>
    private static List<string>? FindCycle(string start, Func<string, IEnumerable<string>> next)
    {
        var trail = new List<string> { start };
        var entered = new HashSet<string>(StringComparer.Ordinal) { start };
        var pending = new Stack<IEnumerator<string>>();
        pending.Push(next(start).GetEnumerator());
        while (pending.Count > 0)
        {
            var edges = pending.Peek();
            if (!edges.MoveNext())
            {
                edges.Dispose();
                pending.Pop();
                trail.RemoveAt(trail.Count - 1);
                continue;
            }
            var target = edges.Current;
            if (target == start)
            {
                foreach (var left in pending)
                {
                    left.Dispose();
                }
                return [.. trail, start];
            }
            if (entered.Add(target))
            {
                trail.Add(target);
                pending.Push(next(target).GetEnumerator());
            }
        }
        return null;
    }
}
