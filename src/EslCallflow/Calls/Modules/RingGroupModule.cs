using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Calls.Ringing;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// ring_group (KAZOO cf_ring_group, docs/behaviour.md ring_group rules): ring the members, attempt after attempt
/// (see <see cref="Ringer"/>); a miss goes on to the child named by its cause, else <c>_</c>.
/// </summary>
public sealed class RingGroupModule(Ringer ringer) : CallflowModule<RingGroupData>
{
    protected override Task<FlowNode?> RunAsync(CallContext call, FlowNode node, RingGroupData data, CancellationToken stopping) =>
        ringer.RingAsync(call, node, data, stopping);
}
