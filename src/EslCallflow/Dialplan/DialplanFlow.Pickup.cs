using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Calls;
using EslCallflow.Calls.Pickup;

namespace EslCallflow.Dialplan;

/// <summary>
/// group_pickup and group_pickup_feature on the dialplan path (docs/behaviour.md group_pickup rules), through the
/// socket path's <see cref="PickupRunner"/>: approval, the target and the claim are decided while the fetch is
/// answered, the XML runs <c>intercept</c> behind the same guard, and whether it bridged is read from the channel
/// feed (the picker joined to the caller), or from the continuation when intercept returned without bridging;
/// then the next call in scope, or the SIP response.
/// </summary>
public sealed partial class DialplanFlow
{
    private DialplanStep StartPickup(DialplanCall call, FlowPosition at, IPickupData data, bool answered, List<PlannedCommand> commands)
    {
        var start = _pickup.Begin(call, data);
        return start.Refusal is { } refusal
            ? Refuse(call, at, refusal, answered, commands)
            : NextCandidate(call, at, start.Target!, new HashSet<string>(StringComparer.Ordinal), answered, commands);
    }

    /// <summary>The next call in scope claimed and intercepted; none left: "nothing to pick up".</summary>
    private DialplanStep NextCandidate(DialplanCall call, FlowPosition at, DirectedPickupTarget target, HashSet<string> tried, bool answered, List<PlannedCommand> commands)
    {
        if (_pickup.ClaimNext(call, target, tried) is not { } claim)
        {
            return Refuse(call, at, _pickup.NothingToPickUp(call, target), answered, commands);
        }
        commands.AddRange(claim.Commands);
        commands.Add(Continuation(at.Token(1)));
        return new DialplanStep(commands, StepEnd.Waits, new PickupWaiting(at, target, claim, tried));
    }

    private DialplanStep Refuse(DialplanCall call, FlowPosition at, PickupRefusal refusal, bool answered, List<PlannedCommand> commands)
    {
        Respond(commands, refusal.Code, refusal.Reason, refusal.Media, answered);
        _pickup.Count(call, at.Node.Module, refusal.Result);
        return new DialplanStep(commands, StepEnd.CallEnds);
    }

    /// <summary>
    /// The continuation after an intercept: it returned to the dialplan. It took the call when it set the picker's
    /// <c>bridge_uuid</c> to the caller, as on a socket (InterceptGuard.BridgedTo): a picker that hung up at once,
    /// before uuid_bridge joined them, leaves the dialplan going on, and its caller is followed (and not left in dead
    /// air). Otherwise it bridged nothing: the claim goes; a picker that intercept answered can take no SIP error any more.
    /// </summary>
    internal DialplanStep PickupResult(DialplanCall call, PickupWaiting waiting, DialplanFetch fetch)
    {
        if (_pickup.Joined(call, waiting.Claim, InterceptGuard.BridgedTo(fetch.Channel)) is { } picked)
        {
            _pickup.Count(call, waiting.At.Node.Module, picked);
            return new DialplanStep([CallCommands.Hangup("NORMAL_CLEARING")], StepEnd.CallEnds) { PickedUp = picked };
        }
        _pickup.Lost(call, waiting.Claim);
        if (IsAnswered(fetch))
        {
            _pickup.Count(call, waiting.At.Node.Module, new PickupResult(PickupOutcome.CallerGone));
            return new DialplanStep([CallCommands.Hangup("NORMAL_TEMPORARY_FAILURE")], StepEnd.CallEnds);
        }
        return NextCandidate(call, waiting.At, waiting.Target, waiting.Tried, answered: false, []);
    }

    /// <summary>The picker was joined to <paramref name="otherLeg"/> (the channel feed): the pickup, when that is the claimed call's caller.</summary>
    internal PickupResult? Joined(DialplanCall call, PickupWaiting waiting, string? otherLeg)
    {
        if (_pickup.Joined(call, waiting.Claim, otherLeg) is not { } picked)
        {
            return null;
        }
        _pickup.Count(call, waiting.At.Node.Module, picked);
        return picked;
    }

    /// <summary>
    /// The picker hung up before its intercept said anything else. It took the call all the same when its channel
    /// names the claimed caller as its other leg (intercept answers both and sets it before uuid_bridge joins them,
    /// as the real switch's stranded-pickup captures show); the pickup is then counted and its conversation followed,
    /// which ends the caller left with nobody. Otherwise the claim goes.
    /// </summary>
    internal PickupResult? PickerGone(DialplanCall call, PickupWaiting waiting, string? otherLeg)
    {
        if (Joined(call, waiting, otherLeg) is { } picked)
        {
            return picked;
        }
        _pickup.Lost(call, waiting.Claim);
        _pickup.Count(call, waiting.At.Node.Module, new PickupResult(PickupOutcome.CallerGone));
        return null;
    }
}
