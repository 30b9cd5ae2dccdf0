using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Calls.Ringing;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// device (KAZOO cf_device) and user (KAZOO cf_user): ring one device, or every device of a user at once, for
/// the node's timeout, as a simultaneous ring group of that one member.
/// </summary>
public sealed class RingTargetModule(Ringer ringer) : CallflowModule<RingTargetData>
{
    protected override Task<FlowNode?> RunAsync(CallContext call, FlowNode node, RingTargetData data, CancellationToken stopping) =>
        ringer.RingAsync(call, node, data.Rings, stopping);
}
