using EslCallflow.Callflows.Documents;

namespace EslCallflow.Calls.Modules;

/// <summary>device (KAZOO cf_device): rings one device for its timeout, as a ring group of one.</summary>
public sealed class DeviceModule(RingGroupModule ringGroup) : ICallflowModule
{
    public string Name => "device";

    public Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping) =>
        ringGroup.RingAsync(call, node, RingTarget.AsRingGroup((RingTargetData)node.Parsed!), stopping);
}
