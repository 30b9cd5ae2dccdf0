using EslCallflow.Callflows.Documents;
using EslCallflow.Operations;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// group_pickup (KAZOO cf_group_pickup, docs/behaviour.md group_pickup rules): picks up the call ringing longest in
/// scope (see <see cref="GroupPickupRunner"/>). Terminal: children are never run (rule 8).
/// </summary>
public sealed class GroupPickupModule(GroupPickupRunner pickup, DaemonMetrics metrics) : ICallflowModule
{
    public string Name => GroupPickupData.Module;

    public async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        var request = PickupRequest.For(call.Config, (GroupPickupData)node.Parsed!);
        var picked = await pickup.RunAsync(call.Session, call.Config, request, call.Caller.Device, stopping).ConfigureAwait(false);
        Count(metrics, call, node.Module, picked);
        await pickup.FollowAsync(call, picked, stopping).ConfigureAwait(false);
        return null;
    }

    /// <summary>A pickup's outcome in the pickup and call counters and the call's record (both pickup modules).</summary>
    internal static void Count(DaemonMetrics metrics, CallContext call, string module, PickupResult picked)
    {
        var outcome = picked.Outcome switch
        {
            PickupOutcome.PickedUp => "picked_up",
            PickupOutcome.Refused => "refused",
            PickupOutcome.NothingToPickUp => "nothing_to_pick_up",
            PickupOutcome.UnknownTarget => "unknown_target",
            PickupOutcome.MovedToNode => "moved_to_node",
            _ => "caller_gone",
        };
        metrics.Pickup(outcome);
        call.Decide(metrics, module, outcome);
        call.Record.Pickup(outcome, picked.PickedCallUuid, picked.FromDeviceId, picked.SipCode);
    }
}
