using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>docs/behaviour.md ring_group rules 1 to 3: expand members to devices, keep one leg per device, leave out who must not ring.</summary>
public static class EndpointResolver
{
    public static ResolvedMembers Resolve(PbxConfiguration config, IReadOnlyList<RingGroupEndpoint> members, RingStrategy strategy, CallerContext caller)
    {
        var expansion = new Expansion(config, strategy);
        var reached = new LegSet(strategy);
        foreach (var member in members)
        {
            expansion.Expand(member.Type, member.Id, member.Delay, member.Timeout, member.Weight, member.Confirm, reached);
        }

        var legs = new List<ResolvedLeg>(reached.Legs.Count);
        var excluded = new List<Exclusion>(reached.Unreachable);
        foreach (var leg in reached.Legs)
        {
            if (ExclusionReason(config, leg.Device, caller) is { } reason)
            {
                excluded.Add(new Exclusion(leg.Device.Id, reason));
                continue;
            }
            legs.Add(leg);
        }
        return new ResolvedMembers(legs, excluded);
    }

    /// <summary>
    /// Devices in the order they are first reached, each once with the occurrence rule 2 keeps, and the members
    /// that gave no device. Adding a set's legs in order gives what adding each occurrence would: the kept one
    /// is the first (ordered strategies) or the first of the smallest delay (simultaneous), in both cases found
    /// by comparing the set's pick with the pick so far.
    /// </summary>
    private sealed class LegSet(RingStrategy strategy)
    {
        private readonly Dictionary<string, int> _indexByDevice = new(StringComparer.Ordinal);

        private List<Exclusion>? _unreachable;

        public List<ResolvedLeg> Legs { get; } = [];

        // Made only when a member gives no device, which most plans never see.
        public IReadOnlyList<Exclusion> Unreachable => _unreachable ?? [];

        public void Add(ResolvedLeg leg)
        {
            if (_indexByDevice.TryGetValue(leg.Device.Id, out var index))
            {
                // Rule 2: one leg per device; simultaneous keeps the earliest start, the ordered strategies the first.
                if (strategy == RingStrategy.Simultaneous && leg.Delay < Legs[index].Delay)
                {
                    Legs[index] = leg;
                }
                return;
            }
            _indexByDevice[leg.Device.Id] = Legs.Count;
            Legs.Add(leg);
        }

        public void AddUnreachable(Exclusion exclusion)
        {
            _unreachable ??= [];
            if (!_unreachable.Contains(exclusion))
            {
                _unreachable.Add(exclusion);
            }
        }

        public void AddAll(LegSet other)
        {
            foreach (var leg in other.Legs)
            {
                Add(leg);
            }
            foreach (var exclusion in other.Unreachable)
            {
                AddUnreachable(exclusion);
            }
        }
    }

    /// <summary>
    /// One resolution: a group is expanded once per timing it inherits and reused wherever else it is reached,
    /// so groups nested as a diamond cost their size, not the number of paths through them (2^depth).
    /// </summary>
    private sealed class Expansion(PbxConfiguration config, RingStrategy strategy)
    {
        // Both made only when a member is a group. The path guards against cycles, which loading refuses anyway.
        private Dictionary<(string Group, int Delay, int Timeout, int Weight, LegConfirm? Confirm), LegSet>? _expandedGroups;
        private HashSet<string>? _path;

        public void Expand(EndpointType type, string id, int delay, int timeout, int weight, LegConfirm? confirm, LegSet into)
        {
            switch (type)
            {
                case EndpointType.Device when config.Devices.TryGetValue(id, out var device):
                    into.Add(new ResolvedLeg(device, delay, timeout, weight) { Confirm = confirm });
                    break;
                case EndpointType.User:
                    var devices = config.DevicesOf(id);
                    if (devices.Count == 0)
                    {
                        into.AddUnreachable(new Exclusion($"user:{id}", "user has no devices"));
                    }
                    foreach (var owned in devices)
                    {
                        into.Add(new ResolvedLeg(owned, delay, timeout, weight) { Confirm = confirm });
                    }
                    break;
                case EndpointType.Group when config.Groups.TryGetValue(id, out var group):
                    var path = _path ??= new HashSet<string>(StringComparer.Ordinal);
                    if (path.Contains(id))
                    {
                        into.AddUnreachable(new Exclusion($"group:{id}", "group already expanded (cycle)"));
                        return;
                    }
                    var expanded = _expandedGroups ??= [];
                    if (!expanded.TryGetValue((id, delay, timeout, weight, confirm), out var members))
                    {
                        members = new LegSet(strategy);
                        path.Add(id);
                        foreach (var endpoint in group.Endpoints)
                        {
                            Expand(endpoint.Type, endpoint.Id, endpoint.Delay ?? delay, endpoint.Timeout ?? timeout, endpoint.Weight ?? weight, confirm, members);
                        }
                        path.Remove(id);
                        expanded[(id, delay, timeout, weight, confirm)] = members;
                    }
                    into.AddAll(members);
                    break;
                default:
                    into.AddUnreachable(new Exclusion($"{type.ToString().ToLowerInvariant()}:{id}", "does not exist"));
                    break;
            }
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
