using EslCallflow.Calls;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Dialplan;

/// <summary>
/// group_pickup and group_pickup_feature on the dialplan path (docs/behaviour.md group_pickup rules): approval and
/// the claim are decided while the fetch is answered, the XML runs <c>intercept</c> behind the same guard as the
/// socket path, and whether it bridged is read from the channel feed (the picker joined to the caller), or from the
/// continuation when intercept returned without bridging; then the next call in scope, or the SIP response.
/// </summary>
public sealed partial class DialplanFlow
{
    private DialplanStep StartPickup(DialplanCall call, FlowPosition at, PickupRequest request, List<PlannedCommand> commands)
    {
        var pickerName = call.Caller.Device?.Id ?? "external";
        var authorization = PickupPlanner.Authorize(call.Config, request.Approved, call.Caller.Device);
        if (!authorization.Approved)
        {
            DialplanLog.PickupRefused(_logger, call.Uuid, pickerName, authorization.Reason, _pickup.RefusedCode);
            Respond(commands, _pickup.RefusedCode, _pickup.RefusedReason, null, answered: false);
            CountPickup(call, at.Node.Module, PickupOutcome.Refused, sipCode: _pickup.RefusedCode);
            return new DialplanStep(commands, StepEnd.CallEnds);
        }
        return NextCandidate(call, at, request, new HashSet<string>(StringComparer.Ordinal), pickerName, commands);
    }

    /// <summary>group_pickup_feature: the digits the pattern captured name the target (GroupPickupFeatureModule on the socket path).</summary>
    private DialplanStep StartDirectedPickup(DialplanCall call, FlowPosition at, GroupPickupFeatureData data, List<PlannedCommand> commands)
    {
        var digits = call.Captures.Count > 0 ? call.Captures[0] : string.Empty;
        var kind = data.Type.ToString().ToLowerInvariant();
        if (!PickupPlanner.Authorize(call.Config, data.Approved, call.Caller.Device).Approved)
        {
            // Refused before anything is looked up, as for group_pickup.
            return StartPickup(call, at, new PickupRequest(data.Approved, [], $"{kind} {digits}"), commands);
        }
        if (digits.Length > 0 && DirectedPickup.Resolve(call.Config, data.Type, digits) is { } target)
        {
            return StartPickup(call, at, new PickupRequest(data.Approved, target.Devices, target.Description), commands);
        }
        DialplanLog.UnknownTarget(_logger, call.Uuid, call.Number, digits, kind, _pickup.UnknownTargetCode);
        Respond(commands, _pickup.UnknownTargetCode, _pickup.UnknownTargetReason, null, answered: false);
        CountPickup(call, at.Node.Module, PickupOutcome.UnknownTarget, sipCode: _pickup.UnknownTargetCode);
        return new DialplanStep(commands, StepEnd.CallEnds);
    }

    /// <summary>
    /// The longest-ringing call in scope not tried yet that this picker can claim, intercepted behind its guard;
    /// none left: "nothing to pick up". Asked afresh each time: the next call in scope may have started ringing.
    /// </summary>
    private DialplanStep NextCandidate(DialplanCall call, FlowPosition at, PickupRequest request, HashSet<string> tried, string pickerName, List<PlannedCommand> commands)
    {
        var keys = PickupPlanner.ScopeKeys(request.InScope);
        foreach (var candidate in PickupPlanner.Candidates(call.Config, request.InScope, call.Caller.Device, call.Uuid, _tracker.RingingOn(keys)))
        {
            if (!tried.Add(candidate.CallKey))
            {
                continue;
            }
            if (!_claims.TryClaim(candidate.CallKey, call.Uuid, pickerName, candidate.DeviceId))
            {
                DialplanLog.ClaimedElsewhere(_logger, call.Uuid, candidate.CallKey, candidate.DeviceId);
                continue;
            }
            var callerAnswered = candidate.CallerUuid is { } callerUuid && _tracker.Find(callerUuid) is { Answered: true };
            var guard = InterceptGuard.For(callerAnswered);
            DialplanLog.Intercepting(_logger, call.Uuid, candidate.LegUuid, candidate.DeviceId, candidate.CallerUuid ?? "unknown", guard.Name);
            commands.AddRange(guard.Commands.Select(c => new PlannedCommand(c.Application, c.Argument)));
            commands.Add(new("intercept", candidate.InterceptArgument));
            commands.Add(Continuation(at.Token(1)));
            return new DialplanStep(commands, StepEnd.Waits, new PickupWaiting(at, request, candidate, tried, pickerName, guard.Name));
        }
        DialplanLog.NothingToPickUp(_logger, call.Uuid, pickerName, request.Scope);
        Respond(commands, _pickup.NothingToPickUpCode, _pickup.NothingToPickUpReason, _pickup.NothingToPickUpMedia, answered: false);
        CountPickup(call, at.Node.Module, PickupOutcome.NothingToPickUp, sipCode: _pickup.NothingToPickUpCode);
        return new DialplanStep(commands, StepEnd.CallEnds);
    }

    /// <summary>
    /// The continuation after an intercept: it returned to the dialplan, so it bridged nothing (a bridged picker
    /// leaves the dialplan). The claim goes; a picker that intercept answered can take no SIP error any more.
    /// </summary>
    public DialplanStep PickupResult(DialplanCall call, PickupWaiting waiting, DialplanFetch fetch)
    {
        var candidate = waiting.Candidate;
        DialplanLog.InterceptFailed(_logger, call.Uuid, candidate.LegUuid, candidate.DeviceId, waiting.Guard);
        _claims.Release(candidate.CallKey, call.Uuid);
        if (IsAnswered(fetch))
        {
            CountPickup(call, waiting.At.Node.Module, PickupOutcome.CallerGone);
            return new DialplanStep([new("hangup", "NORMAL_TEMPORARY_FAILURE")], StepEnd.CallEnds);
        }
        return NextCandidate(call, waiting.At, waiting.Request, new HashSet<string>(waiting.Tried, StringComparer.Ordinal), waiting.PickerName, []);
    }

    /// <summary>
    /// The picker was joined to <paramref name="otherLeg"/> (the channel feed): picked up when that is the claimed
    /// call's caller. Returns whether it was.
    /// </summary>
    public bool Joined(DialplanCall call, PickupWaiting waiting, string otherLeg)
    {
        var candidate = waiting.Candidate;
        if (candidate.CallerUuid is not null && otherLeg != candidate.CallerUuid)
        {
            return false;
        }
        _claims.Won(candidate.CallKey, call.Uuid, waiting.PickerName, candidate.DeviceId);
        DialplanLog.PickedUp(_logger, call.Uuid, waiting.PickerName, candidate.DeviceId, otherLeg);
        CountPickup(call, waiting.At.Node.Module, PickupOutcome.PickedUp, otherLeg, candidate.DeviceId);
        return true;
    }

    /// <summary>The picker hung up before its intercept said anything.</summary>
    public void PickerGone(DialplanCall call, PickupWaiting waiting)
    {
        _claims.Release(waiting.Candidate.CallKey, call.Uuid);
        CountPickup(call, waiting.At.Node.Module, PickupOutcome.CallerGone);
    }

    /// <summary>A pickup's outcome in the pickup and call counters and the call's record (as on the socket path).</summary>
    private void CountPickup(DialplanCall call, string module, PickupOutcome picked, string? pickedCallUuid = null, string? fromDevice = null, int? sipCode = null)
    {
        var outcome = picked switch
        {
            PickupOutcome.PickedUp => "picked_up",
            PickupOutcome.Refused => "refused",
            PickupOutcome.NothingToPickUp => "nothing_to_pick_up",
            PickupOutcome.UnknownTarget => "unknown_target",
            _ => "caller_gone",
        };
        _metrics.Pickup(outcome);
        call.Decide(_metrics, module, outcome);
        call.Record.Pickup(outcome, pickedCallUuid, fromDevice, sipCode);
    }
}
