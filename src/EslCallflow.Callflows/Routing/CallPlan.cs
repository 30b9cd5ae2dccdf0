using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Routing;

/// <summary>What a call to <see cref="Number"/> would do: the callflow and, when its first module rings phones, its first attempt.</summary>
public sealed record CallPlan(string Number, CallerContext Caller, Callflow? Callflow, FlowNode? Node, RingGroupAttempt? RingGroup)
{
    public string Module => Node?.Module ?? "none";
}

public static class CallPlanner
{
    /// <summary>(configuration, dialled number, caller device or external, seed) to the plan. Shared by the daemon and the CLI.</summary>
    public static CallPlan Plan(PbxConfiguration config, string number, Device? callerDevice, int seed, RingGroupFacts? facts = null)
    {
        var caller = new CallerContext(callerDevice);
        var callflow = config.FindCallflow(number);
        if (callflow is null)
        {
            return new CallPlan(number, caller, null, null, null);
        }
        var node = callflow.Flow;
        var attempt = node.Parsed is { SkipModule: false, Rings: { } rings }
            ? RingGroupPlanner.Plan(config, rings, caller, new Random(seed), facts)
            : null;
        return new CallPlan(number, caller, callflow, node, attempt);
    }
}
