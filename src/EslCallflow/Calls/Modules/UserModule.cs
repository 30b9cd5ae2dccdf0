using EslCallflow.Callflows.Documents;

namespace EslCallflow.Calls.Modules;

/// <summary>user (KAZOO cf_user): rings every device of a user at once, as a ring group of that user.</summary>
public sealed class UserModule(RingGroupModule ringGroup) : ICallflowModule
{
    public string Name => "user";

    public Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping) =>
        ringGroup.RingAsync(call, node, RingTarget.AsRingGroup((RingTargetData)node.Parsed!), stopping);
}

/// <summary>A device or user rung alone: a simultaneous ring group of that one member, its timeout for both.</summary>
internal static class RingTarget
{
    public static RingGroupData AsRingGroup(RingTargetData target) => new(
        [new RingGroupEndpoint(target.Id, target.Type, 0, target.Timeout, RingGroupData.DefaultWeight)],
        RingStrategy.Simultaneous, target.Timeout, 1, null, null, null, false, true, false);
}
