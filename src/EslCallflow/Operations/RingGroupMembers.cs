using EslCallflow.Callflows;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.GroupState;

namespace EslCallflow.Operations;

/// <summary>For <c>GET /ring-groups</c>: each callflow with a ring group, its members and whether each is logged in.</summary>
public static class RingGroupMembers
{
    public static async Task<object> ListAsync(PbxConfiguration config, IRingGroupState state, CancellationToken cancellationToken)
    {
        var loggedOut = await state.LoggedOutAsync(cancellationToken).ConfigureAwait(false);
        var groups = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var callflow in config.Callflows.Values)
        {
            var members = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var group in RingGroupToggleData.RingGroupsOf(callflow.Flow))
            {
                var resolved = EndpointResolver.Resolve(config, group.Endpoints, group.Strategy, CallerContext.External);
                members.UnionWith(resolved.Legs.Select(l => RingGroupFacts.MemberKey(l.Device)));
            }
            if (members.Count == 0)
            {
                continue;
            }
            var outOfGroup = loggedOut.GetValueOrDefault(callflow.Id) ?? [];
            groups[callflow.Id] = new
            {
                numbers = callflow.Numbers,
                members = members.Select(m => new { member = m, loggedIn = !outOfGroup.Contains(m) }).ToList(),
            };
        }
        return groups;
    }
}
