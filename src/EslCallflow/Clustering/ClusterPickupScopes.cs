using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;

namespace EslCallflow.Clustering;

/// <summary>
/// The group pickups the proxy can send straight to the node where their call rings: every number of a callflow that
/// starts with group_pickup (after any callflow modules it goes on through), with the device keys in its scope, as the
/// pickup itself reads them (<see cref="PickupPlanner.ScopeKeys(PbxConfiguration, PickupScope)"/>). A pickup that
/// starts with anything else (a check, a play) is left to the daemon, and so the 302.
/// </summary>
public static class ClusterPickupScopes
{
    private const int MaxJumps = 32;

    public static IReadOnlyDictionary<string, IReadOnlyCollection<string>> Of(PbxConfiguration config)
    {
        var scopes = new SortedDictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
        foreach (var callflow in config.Callflows.Values)
        {
            if (StartsWithGroupPickup(config, callflow.Flow) is not { } pickup)
            {
                continue;
            }
            var keys = PickupPlanner.ScopeKeys(config, pickup.Scope);
            // A number another callflow answers first is that one's.
            foreach (var number in callflow.Numbers.Where(n => ReferenceEquals(config.FindCallflow(n), callflow)))
            {
                scopes[number] = keys;
            }
        }
        return scopes;
    }

    private static GroupPickupData? StartsWithGroupPickup(PbxConfiguration config, FlowNode node)
    {
        for (var jumps = 0; jumps < MaxJumps; jumps++)
        {
            switch (node.Parsed)
            {
                case GroupPickupData pickup:
                    return pickup;
                case CallflowJumpData jump when config.Callflows.TryGetValue(jump.Id, out var next):
                    node = next.Flow;
                    break;
                default:
                    return null;
            }
        }
        return null;
    }
}
