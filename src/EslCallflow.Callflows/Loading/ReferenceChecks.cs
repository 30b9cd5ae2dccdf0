using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

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
        bool Exists(DocumentKind kind, string id) => id.Length == 0 || kind switch
        {
            DocumentKind.Device => deviceIds.Contains(id),
            DocumentKind.User => userIds.Contains(id),
            DocumentKind.Group => groupById.ContainsKey(id),
            _ => callflowIds.Contains(id),
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

        var nestedGroups = groups.ToDictionary(
            g => g.Id, g => g.Endpoints.Where(e => e.Type == EndpointType.Group && groupById.ContainsKey(e.Id)).Select(e => e.Id).ToArray(), StringComparer.Ordinal);
        var (deepest, unfinished) = Nesting(groups, nestedGroups);
        foreach (var group in groups)
        {
            foreach (var endpoint in group.Endpoints.Where(e => !Exists(DocumentReference.KindOf(e.Type), e.Id)))
            {
                errors.Add(new ConfigError(files[("groups", group.Id)], group.Id, $"$.endpoints.{endpoint.Id}", $"{endpoint.Type.ToString().ToLowerInvariant()} '{endpoint.Id}' does not exist"));
            }
            // Only a group whose nesting never bottoms out can be on a cycle; the others need no search.
            if (unfinished.Contains(group.Id) && FindCycle(group.Id, nestedGroups) is { } cycle)
            {
                errors.Add(new ConfigError(files[("groups", group.Id)], group.Id, "$.endpoints", $"group cycle: {string.Join(" -> ", cycle)}"));
            }
        }
        if (deepest is { Depth: > MaxGroupNesting } tooDeep)
        {
            errors.Add(new ConfigError(files[("groups", tooDeep.Group)], tooDeep.Group, "$.endpoints",
                $"groups are nested {tooDeep.Depth} levels deep from here; at most {MaxGroupNesting} are allowed"));
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
            CheckNode(callflow.Flow, "$.flow", file, callflow.Id, Exists, errors);
        }

        // ring_group_toggle logs members in and out of a callflow's ring group: one that has none is a mistake.
        var callflowById = callflows.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var callflow in callflows)
        {
            foreach (var (target, path) in References(callflow.Flow, "$.flow", DocumentKind.RingGroupCallflow))
            {
                if (callflowById.TryGetValue(target, out var toggled) && !RingGroupToggleData.RingGroupsOf(toggled.Flow).Any())
                {
                    errors.Add(new ConfigError(files[("callflows", callflow.Id)], callflow.Id, $"{path}.data.callflow_id", $"callflow '{target}' has no ring_group"));
                }
            }
        }

        // A callflow module that leads back to where it started loops until the call's step limit ends it.
        var jumps = callflows.ToDictionary(c => c.Id, c => References(c.Flow, "$.flow", DocumentKind.Callflow).Where(j => callflowIds.Contains(j.Target)).ToList(), StringComparer.Ordinal);
        var jumpTargets = jumps.ToDictionary(p => p.Key, p => p.Value.Select(j => j.Target).ToArray(), StringComparer.Ordinal);
        foreach (var callflow in callflows)
        {
            if (FindCycle(callflow.Id, jumpTargets) is { } cycle)
            {
                var first = jumps[callflow.Id].First(j => j.Target == cycle[1]);
                errors.Add(new ConfigError(files[("callflows", callflow.Id)], callflow.Id, $"{first.Path}.data.id",
                    $"callflow cycle: {string.Join(" -> ", cycle)} (a call would go round until it is ended after too many steps)"));
            }
        }
    }

    /// <summary>
    /// The documents of <paramref name="kind"/> a flow's modules name (skipped modules name none), with where each
    /// node is: for <see cref="DocumentKind.Callflow"/>, the callflows it jumps to.
    /// </summary>
    private static IEnumerable<(string Target, string Path)> References(FlowNode node, string path, DocumentKind kind)
    {
        if (node.Parsed is { SkipModule: false } data)
        {
            foreach (var jump in data.References.Where(r => r.Kind == kind))
            {
                yield return (jump.Id, path);
            }
        }
        foreach (var (key, child) in node.Children)
        {
            foreach (var nested in References(child, $"{path}.children.{key}", kind))
            {
                yield return nested;
            }
        }
    }

    private static void CheckNode(FlowNode node, string path, string file, string callflowId, Func<DocumentKind, string, bool> exists, List<ConfigError> errors)
    {
        foreach (var reference in node.Parsed?.References ?? [])
        {
            if (!exists(reference.Kind, reference.Id))
            {
                errors.Add(new ConfigError(file, callflowId, $"{path}.data.{reference.Field}", $"{(reference.Kind == DocumentKind.RingGroupCallflow ? "callflow" : reference.Kind.ToString().ToLowerInvariant())} '{reference.Id}' does not exist"));
            }
        }
        foreach (var (key, child) in node.Children)
        {
            CheckNode(child, $"{path}.children.{key}", file, callflowId, exists, errors);
        }
    }

    /// <summary>
    /// The group with the longest chain of nested groups below it (itself counting 1), and the groups whose
    /// nesting never bottoms out (on a cycle or above one). Leaves first and without recursion: a chain may be long.
    /// </summary>
    private static ((string Group, int Depth)? Deepest, HashSet<string> Unfinished) Nesting(List<Group> groups, Dictionary<string, string[]> nested)
    {
        var waitingOn = nested.ToDictionary(p => p.Key, p => p.Value.Length, StringComparer.Ordinal);
        var containedBy = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (id, children) in nested)
        {
            foreach (var child in children)
            {
                (containedBy.TryGetValue(child, out var parents) ? parents : containedBy[child] = []).Add(id);
            }
        }
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        var ready = new Queue<string>(groups.Select(g => g.Id).Where(id => waitingOn[id] == 0));
        (string Group, int Depth)? deepest = null;
        while (ready.TryDequeue(out var id))
        {
            var own = 1;
            foreach (var child in nested[id])
            {
                own = Math.Max(own, depth[child] + 1);
            }
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
        return (deepest, groups.Select(g => g.Id).Where(id => !depth.ContainsKey(id)).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// A path from <paramref name="start"/> back to itself, the first in depth-first order, or null. Each node
    /// is entered once per search: one that was left without finding the way back cannot find it later either,
    /// so diamonds (many paths to one node) cost their size, not the number of paths through them. No
    /// recursion: a chain may be long.
    /// </summary>
    private static List<string>? FindCycle(string start, Dictionary<string, string[]> next)
    {
        var trail = new List<string> { start };
        var entered = new HashSet<string>(StringComparer.Ordinal) { start };
        var pending = new Stack<(string[] Targets, int Next)>();
        pending.Push((next[start], 0));
        while (pending.TryPop(out var top))
        {
            if (top.Next == top.Targets.Length)
            {
                trail.RemoveAt(trail.Count - 1);
                continue;
            }
            var target = top.Targets[top.Next];
            pending.Push((top.Targets, top.Next + 1));
            if (target == start)
            {
                return [.. trail, start];
            }
            if (entered.Add(target))
            {
                trail.Add(target);
                pending.Push((next[target], 0));
            }
        }
        return null;
    }
}
