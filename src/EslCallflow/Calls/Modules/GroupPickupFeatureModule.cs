using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Calls.Pickup;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// group_pickup_feature (KAZOO cf_group_pickup_feature): directed pickup. The digits the callflow's pattern
/// captured (<c>*7</c> + <c>1001</c>) name the target (<see cref="GroupPickupFeatureData.Target"/>); then everything
/// as group_pickup: approval, oldest call first, the claim, the responses (see <see cref="PickupRunner"/>).
/// </summary>
public sealed class GroupPickupFeatureModule(PickupRunner pickup) : CallflowModule<GroupPickupFeatureData>
{
    protected override Task<FlowNode?> RunAsync(CallContext call, FlowNode node, GroupPickupFeatureData data, CancellationToken stopping) =>
        pickup.RunAsync(call, node, data, stopping);
}
