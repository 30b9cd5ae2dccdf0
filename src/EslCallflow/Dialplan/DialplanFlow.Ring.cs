using System.Text.Json;
using EslCallflow.Calls;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Records;

namespace EslCallflow.Dialplan;

/// <summary>
/// ring_group, device and user on the dialplan path (docs/behaviour.md ring_group rules): each attempt is the
/// planner's commands ending in the bridge, then the continuation. An answer or a pickup is read from the channel
/// feed (<see cref="DialplanCalls"/>); a bridge that fails goes on to the continuation, whose fetch carries
/// <c>originate_disposition</c> and the causes, read as the socket path reads the bridge's completion.
/// </summary>
public sealed partial class DialplanFlow
{
    /// <summary>
    /// One ring attempt: the XML that rings and waits, or (nobody to ring) null with <paramref name="next"/> the node
    /// the flow goes on with (the <c>_</c> child), the call ending with NO_USER_RESPONSE when there is none.
    /// </summary>
    private DialplanStep? Ring(DialplanCall call, FlowPosition at, RingGroupData data, int attempt, List<PlannedCommand> commands, out FlowPosition? next)
    {
        var plan = RingGroupPlanner.Plan(call.Config, data, call.Caller, Random.Shared);
        foreach (var excluded in plan.Excluded)
        {
            DialplanLog.Excluded(_logger, call.Uuid, excluded.DeviceId, excluded.Reason);
        }
        LeftOut[] leftOut = [.. plan.Excluded.Select(e => new LeftOut(e.DeviceId, e.Reason))];
        var strategy = JsonNamingPolicy.SnakeCaseLower.ConvertName(data.Strategy.ToString());
        if (!plan.HasLegs)
        {
            call.Record.Ringing(attempt, at.Node.Module, strategy, [], leftOut);
            DialplanLog.NobodyToRing(_logger, call.Uuid);
            call.Decide(_metrics, at.Node.Module, "nobody_to_ring");
            next = at.Child(FlowNode.DefaultChild);
            if (next is null)
            {
                commands.Add(new("hangup", "NO_USER_RESPONSE"));
                return new DialplanStep(commands, StepEnd.CallEnds);
            }
            return null;
        }
        next = null;
        DialplanLog.Ringing(_logger, call.Uuid, attempt, data.Repeats, plan.Legs.Count, plan.DialString!);
        commands.AddRange(plan.Commands);
        commands.Add(Continuation(at.Token(attempt)));
        return new DialplanStep(commands, StepEnd.Waits, new RingWaiting(at, data, attempt, plan.Legs, leftOut, strategy, _time.GetTimestamp()));
    }

    /// <summary>
    /// The continuation after a ring attempt: the bridge returned, so nobody answered and nobody picked the call up
    /// (an answered bridge ends the call through hangup_after_bridge; a pickup moves the caller out of the dialplan).
    /// Another attempt while repeats are left, else the child keyed by the cause, else <c>_</c>, else a hangup with it.
    /// </summary>
    public DialplanStep RingResult(DialplanCall call, RingWaiting waiting, DialplanFetch fetch)
    {
        var outcome = BridgeOutcome.From(fetch.Channel);
        var module = waiting.At.Node.Module;
        if (outcome.Result != BridgeResult.Failed)
        {
            // Not seen on a real 1.10.12: told as the socket path tells a completion it sees first, and the call ends.
            if (outcome.Result == BridgeResult.PickedUp)
            {
                PickedUpFromRingGroup(call, waiting, outcome.OtherLeg);
            }
            else
            {
                // The caller is still up to fetch again: the answering phone hung up.
                var device = DeviceOf(outcome.OtherLeg, waiting.Legs);
                Answered(call, module, outcome.OtherLeg ?? "unknown", device, _time.GetElapsedTime(waiting.RingingSince));
                TalkEnded(call, device, outcome.TalkSeconds ?? 0, device, outcome.Cause);
            }
            return new DialplanStep([new("hangup", "NORMAL_CLEARING")], StepEnd.CallEnds);
        }
        var cause = outcome.Cause;
        if (cause is "ORIGINATOR_CANCEL")
        {
            return Missed(call, module, cause, null, fetch);
        }
        if (waiting.Attempt < waiting.Data.Repeats)
        {
            DialplanLog.AttemptFailed(_logger, call.Uuid, waiting.Attempt, cause);
            List<PlannedCommand> commands = [];
            if (Ring(call, waiting.At, waiting.Data, waiting.Attempt + 1, commands, out var after) is { } again)
            {
                return again;
            }
            return Walk(call, after, IsAnswered(fetch), commands);
        }
        DialplanLog.AttemptFailed(_logger, call.Uuid, waiting.Attempt, cause);
        return Missed(call, module, cause, waiting.At.Child(cause) ?? waiting.At.Child(FlowNode.DefaultChild), fetch);
    }

    /// <summary>Nobody answered: the child, or a hangup with the cause.</summary>
    private DialplanStep Missed(DialplanCall call, string module, string cause, FlowPosition? child, DialplanFetch fetch)
    {
        NoAnswer(call, module, cause);
        return child is null
            ? new DialplanStep([new("hangup", cause)], StepEnd.CallEnds)
            : Walk(call, child, IsAnswered(fetch), []);
    }

    /// <summary>The ring group missed (the caller hung up first: <c>ORIGINATOR_CANCEL</c>).</summary>
    public void NoAnswer(DialplanCall call, string module, string cause)
    {
        DialplanLog.Missed(_logger, call.Uuid, cause);
        call.Decide(_metrics, module, "missed");
        call.Record.Missed(cause);
    }

    /// <summary>
    /// The caller was joined to <paramref name="otherLeg"/> while an attempt rang (the channel feed's CHANNEL_BRIDGE):
    /// a phone answered, or the picker of a pickup here took the call. Returns the picker's device for a pickup
    /// (the conversation is the picker's now), null for an answer.
    /// </summary>
    public string? Joined(DialplanCall call, RingWaiting waiting, string otherLeg)
    {
        if (_claims.PickerCallOf(call.Uuid) == otherLeg)
        {
            return PickedUpFromRingGroup(call, waiting, otherLeg);
        }
        var device = DeviceOf(otherLeg, waiting.Legs);
        Answered(call, waiting.At.Node.Module, otherLeg, device, _time.GetElapsedTime(waiting.RingingSince));
        call.Talking = (device, otherLeg, _time.GetTimestamp());
        return null;
    }

    /// <summary>The ring group's call was picked up; returns the picker's device.</summary>
    private string PickedUpFromRingGroup(DialplanCall call, RingWaiting waiting, string? pickerLeg)
    {
        // The caller is talking to the picker now: no child, no repeat, no hangup.
        var picker = _claims.PickedUpBy(call.Uuid) ?? DeviceOf(pickerLeg, null);
        DialplanLog.PickedUpFromRingGroup(_logger, call.Uuid, picker, pickerLeg ?? "unknown");
        call.Decide(_metrics, waiting.At.Node.Module, "picked_up");
        call.Record.PickedUp(picker, pickerLeg, _claims.PickedUpFrom(call.Uuid));
        return picker;
    }

    private void Answered(DialplanCall call, string module, string answeredLeg, string answeredDevice, TimeSpan rang)
    {
        DialplanLog.Answered(_logger, call.Uuid, answeredDevice, answeredLeg, rang.TotalSeconds);
        call.Decide(_metrics, module, "answered");
        call.Record.Answered(answeredDevice, answeredLeg, rang.TotalSeconds);
    }

    /// <summary>The conversation of an answered call ended (the caller's channel ended, as the feed showed it).</summary>
    public void TalkEnded(DialplanCall call, string answeredDevice, double talked, string hungUpBy, string cause)
    {
        DialplanLog.TalkEnded(_logger, call.Uuid, talked, answeredDevice, hungUpBy, cause);
        call.Record.TalkEnded(talked, hungUpBy, cause);
    }

    /// <summary>
    /// Which device a leg rang, from the channel tracker (our device variable, else its SIP identity);
    /// a single-leg plan names its device even when the feed does not.
    /// </summary>
    private string DeviceOf(string? legUuid, IReadOnlyList<PlannedLeg>? legs)
    {
        if (legUuid is not null && _tracker.Find(legUuid) is { } leg && (leg.DeviceId ?? leg.SipIdentity) is { } device)
        {
            return device;
        }
        return legs is [var only] ? only.Device.Id : "unknown";
    }
}
