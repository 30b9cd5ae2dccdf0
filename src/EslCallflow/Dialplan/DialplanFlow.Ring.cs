using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Calls;
using EslCallflow.Calls.Ringing;
using EslCallflow.GroupState;

namespace EslCallflow.Dialplan;

/// <summary>
/// ring_group, device and user on the dialplan path (docs/behaviour.md ring_group rules): each attempt is the
/// planner's commands ending in the bridge, then the continuation. How an attempt ended is the socket path's
/// <see cref="RingEnd"/>: an answer or a pickup read from the channel feed (<see cref="DialplanCalls"/>), a bridge
/// that failed from the continuation's fetch (<c>originate_disposition</c> and the causes, read by
/// <see cref="BridgeOutcome"/> as on a socket), told by the <see cref="RingReport"/>.
/// </summary>
public sealed partial class DialplanFlow
{
    /// <summary>
    /// One ring attempt, planned by the socket path's <see cref="RingMemory"/> over the group's <paramref name="memory"/>:
    /// the XML that rings and waits, or (nobody to ring) null with <paramref name="next"/> the node the flow goes on with
    /// (<c>USER_BUSY</c> when everyone left out was busy, else <c>_</c>), the call ending with the planner's cause when
    /// there is none.
    /// </summary>
    private DialplanStep? Ring(DialplanCall call, FlowPosition at, RingGroupData data, int attempt, GroupMemory memory, List<PlannedCommand> commands, out FlowPosition? next)
    {
        var plan = _memories.Plan(call, data, memory, Random.Shared);
        _ring.Planned(call, plan);
        if (!plan.HasLegs)
        {
            _ring.NobodyToRing(call, at.Node, attempt, data, plan);
            if (RingMemory.NobodyChild(at.Node, plan, out var cause) is { } child)
            {
                next = at.Child(child);
                return null;
            }
            next = null;
            commands.Add(CallCommands.Hangup(cause));
            return new DialplanStep(commands, StepEnd.CallEnds);
        }
        next = null;
        _ring.Ringing(call, attempt, data, plan);
        commands.AddRange(plan.Commands);
        commands.Add(Continuation(at.Token(attempt)));
        return new DialplanStep(commands, StepEnd.Waits,
            new RingWaiting(at, data, attempt, new RingGroupAttempt(plan.Legs, plan.Excluded, null, []), _time.GetTimestamp(), memory));
    }

    /// <summary>Once the attempt's XML is on its way: told, as on the socket path once the bridge is sent.</summary>
    internal static void Rung(DialplanCall call, RingWaiting ring) => RingReport.Rung(call, ring.At.Node, ring.Attempt, ring.Data, ring.Plan);

    /// <summary>
    /// The continuation after a ring attempt: the bridge returned, so nobody answered and nobody picked the call up
    /// (an answered bridge ends the call through hangup_after_bridge; a pickup moves the caller out of the dialplan).
    /// Another attempt while repeats are left, else the child keyed by the cause, else <c>_</c>, else a hangup with it.
    /// </summary>
    internal DialplanStep RingResult(DialplanCall call, RingWaiting waiting, DialplanFetch fetch)
    {
        var end = EndOf(call, waiting, BridgeOutcome.From(fetch.Channel));
        _ring.Ended(call, waiting.At.Node, waiting.Attempt, end);
        switch (end)
        {
            case RingEnd.NotAnswered { Cause: var cause } when waiting.Attempt < waiting.Data.Repeats:
                List<PlannedCommand> commands = [];
                if (Ring(call, waiting.At, waiting.Data, waiting.Attempt + 1, waiting.Memory, commands, out var after) is { } again)
                {
                    return again;
                }
                return Walk(call, after, IsAnswered(fetch), commands);
            case RingEnd.NotAnswered { Cause: var cause }:
                _ring.Missed(call, waiting.At.Node, cause);
                return (waiting.At.Child(cause) ?? waiting.At.Child(FlowNode.DefaultChild)) is { } child
                    ? Walk(call, child, IsAnswered(fetch), [])
                    : new DialplanStep([CallCommands.Hangup(cause)], StepEnd.CallEnds);
            case RingEnd.Answered answered:
                // Not seen on a real 1.10.12 (hangup_after_bridge ends an answered call): told as the socket path tells it.
                _ring.TalkEnded(call, answered.Device, answered.Talk.Result);
                return new DialplanStep([CallCommands.Hangup("NORMAL_CLEARING")], StepEnd.CallEnds);
            default:
                // Picked up (not seen either: intercept moves the caller out of the dialplan) or the caller gone.
                return new DialplanStep([CallCommands.Hangup("NORMAL_CLEARING")], StepEnd.CallEnds);
        }
    }

    /// <summary>A bridge's result, as the socket path's BridgeWatcher reads its completion; the caller is still up to fetch again.</summary>
    private RingEnd EndOf(DialplanCall call, RingWaiting waiting, BridgeOutcome outcome)
    {
        switch (outcome.Result)
        {
            case BridgeResult.Answered:
                var device = DeviceOf(outcome.OtherLeg, waiting.Plan.Legs);
                return new RingEnd.Answered(outcome.OtherLeg ?? "unknown", device, _time.GetElapsedTime(waiting.RingingSince),
                    Task.FromResult(new TalkEnd(outcome.TalkSeconds ?? 0, device, outcome.Cause)));
            case BridgeResult.PickedUp:
                return new RingEnd.PickedUp(_claims.PickedUpBy(call.Uuid) ?? DeviceOf(outcome.OtherLeg, null), outcome.OtherLeg,
                    _claims.PickedUpFrom(call.Uuid), _claims.PickerCallOf(call.Uuid));
            default:
                return outcome.Cause is "ORIGINATOR_CANCEL" ? new RingEnd.CallerGone() : new RingEnd.NotAnswered(outcome.Cause);
        }
    }

    /// <summary>
    /// The caller was joined to <paramref name="otherLeg"/> while an attempt rang (the channel feed's CHANNEL_BRIDGE):
    /// the picker of a pickup here took the call, or a phone answered (its conversation's end is <paramref name="talk"/>).
    /// </summary>
    internal RingEnd Joined(DialplanCall call, RingWaiting waiting, string otherLeg, Task<TalkEnd> talk)
    {
        RingEnd end = _claims.PickerCallOf(call.Uuid) == otherLeg
            ? PickedUpBy(call, otherLeg)
            : new RingEnd.Answered(otherLeg, DeviceOf(otherLeg, waiting.Plan.Legs), _time.GetElapsedTime(waiting.RingingSince), talk);
        _ring.Ended(call, waiting.At.Node, waiting.Attempt, end);
        return end;
    }

    /// <summary>A pickup here took the ringing call (its picker's side knew it first): told as the socket path tells it.</summary>
    internal RingEnd.PickedUp PickedUp(DialplanCall call, RingWaiting waiting, string pickerCall)
    {
        var end = PickedUpBy(call, pickerCall);
        _ring.Ended(call, waiting.At.Node, waiting.Attempt, end);
        return end;
    }

    private RingEnd.PickedUp PickedUpBy(DialplanCall call, string pickerCall) =>
        new(_claims.PickedUpBy(call.Uuid) ?? DeviceOf(pickerCall, null), pickerCall, _claims.PickedUpFrom(call.Uuid), pickerCall);

    /// <summary>
    /// The caller's channel ended while the attempt rang: the caller hung up (the socket path sees its bridge end with
    /// ORIGINATOR_CANCEL), unless a pickup here had taken it (its picker gone before the two were joined, and the
    /// caller ended by the ConversationWatch), which is a pickup, as the socket path reads from its completion.
    /// </summary>
    internal RingEnd CallerGone(DialplanCall call, RingWaiting waiting)
    {
        RingEnd end = _claims.PickerCallOf(call.Uuid) is { } pickerCall ? PickedUpBy(call, pickerCall) : new RingEnd.CallerGone();
        _ring.Ended(call, waiting.At.Node, waiting.Attempt, end);
        return end;
    }

    internal void TalkEnded(DialplanCall call, string device, TalkEnd talk) => _ring.TalkEnded(call, device, talk);

    private string DeviceOf(string? legUuid, IReadOnlyList<PlannedLeg>? legs) => _watcher.DeviceOf(legUuid, legs);
}
