using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Callflows.Loading;

/// <summary>
/// Refuses a ring group (or a <c>user</c> node) that would ring more devices than FreeSWITCH takes from one bridge
/// (<see cref="DialString.MaxLegs"/>). Counted as a call from outside would ring it: every member resolved, disabled and
/// do-not-disturb devices left out; a call from a member rings one device or more fewer, never more, so a configuration
/// that passes here never reaches the limit at call time (the planner still guards it, see
/// <see cref="RingGroupPlanner"/>).
/// </summary>
internal static class LegLimitCheck
{
    public static void Run(PbxConfiguration config, Dictionary<(string Kind, string Id), string> files, List<ConfigError> errors)
    {
        foreach (var callflow in config.Callflows.Values.OrderBy(c => c.Id, StringComparer.Ordinal))
        {
            Check(config, callflow.Flow, "$.flow", files[("callflows", callflow.Id)], callflow.Id, errors);
        }
    }

    private static void Check(PbxConfiguration config, FlowNode node, string path, string file, string callflowId, List<ConfigError> errors)
    {
        // A skipped node never rings, and a device node rings one device.
        (IReadOnlyList<RingGroupEndpoint> Endpoints, RingStrategy Strategy, string Field)? ringing = node.Parsed switch
        {
            RingGroupData { SkipModule: false } group => (group.Endpoints, group.Strategy, "endpoints"),
            RingTargetData { SkipModule: false, Type: EndpointType.User } user =>
                ([new RingGroupEndpoint(user.Id, user.Type, 0, user.Timeout, RingGroupData.DefaultWeight)], RingStrategy.Simultaneous, "id"),
            _ => null,
        };
        if (ringing is { } r)
        {
            var legs = EndpointResolver.Resolve(config, r.Endpoints, r.Strategy, CallerContext.External).Legs.Count;
            if (legs > DialString.MaxLegs)
            {
                errors.Add(new ConfigError(file, callflowId, $"{path}.data.{r.Field}",
                    $"rings {legs} devices, more than the {DialString.MaxLegs} FreeSWITCH takes from one bridge (given more, it rings the first {DialString.MaxLegs - 1} and loses the rest without a word); "
                    + $"ring at most {DialString.MaxLegs} at once, for example the rest from a second ring group as this one's '_' child"));
            }
        }
        foreach (var (key, child) in node.Children)
        {
            Check(config, child, $"{path}.children.{key}", file, callflowId, errors);
        }
    }
}
