using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// device (KAZOO cf_device) and user (KAZOO cf_user): ring one device, or every device of a user at once, for
/// the node's timeout, as a simultaneous ring group of that one member. One runner serves both names.
/// </summary>
public sealed class RingTargetModule(string name, RingGroupModule ringGroup) : ICallflowModule
{
    public string Name => name;

    public static RingTargetModule Device(RingGroupModule ringGroup) => new(RingTargetData.DeviceModule, ringGroup);

    public static RingTargetModule User(RingGroupModule ringGroup) => new(RingTargetData.UserModule, ringGroup);

    public Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping) =>
        ringGroup.RingAsync(call, node, AsRingGroup((RingTargetData)node.Parsed!), stopping);

    private static RingGroupData AsRingGroup(RingTargetData target) => new(
        [new RingGroupEndpoint(target.Id, target.Type, 0, target.Timeout, RingGroupData.DefaultWeight)],
        RingStrategy.Simultaneous, target.Timeout, 1, null, null, null, false, true, false);
}
