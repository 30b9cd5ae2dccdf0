using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Calls.Pickup;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// group_pickup (KAZOO cf_group_pickup, docs/behaviour.md group_pickup rules): picks up the call ringing longest in
/// the module's scope (see <see cref="PickupRunner"/>).
/// </summary>
public sealed class GroupPickupModule(PickupRunner pickup) : CallflowModule<GroupPickupData>
{
    protected override Task<FlowNode?> RunAsync(CallContext call, FlowNode node, GroupPickupData data, CancellationToken stopping) =>
        pickup.RunAsync(call, node, data, stopping);
}
