using EslCallflow.Callflows.Documents;
using EslCallflow.Operations;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// group_pickup (KAZOO cf_group_pickup, behaviour.md group_pickup rules): picks up the call ringing longest in
/// scope (see <see cref="GroupPickupRunner"/>). Terminal: children are never run (rule 8).
/// </summary>
public sealed class GroupPickupModule(GroupPickupRunner pickup, DaemonMetrics metrics) : ICallflowModule
{
    public string Name => "group_pickup";

    public async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        var picked = await pickup.RunAsync(call.Session, call.Config, (GroupPickupData)node.Parsed!, call.Caller.Device, stopping).ConfigureAwait(false);
        var outcome = picked switch
        {
            PickupOutcome.PickedUp => "picked_up",
            PickupOutcome.Refused => "refused",
            PickupOutcome.NothingToPickUp => "nothing_to_pick_up",
            _ => "caller_gone",
        };
        metrics.Pickup(outcome);
        metrics.CallEnded(node.Module, outcome);
        return null;
    }
}
