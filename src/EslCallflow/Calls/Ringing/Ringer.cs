using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Calls.Pickup;
using EslCallflow.Esl.Outbound;
using EslCallflow.Records;

namespace EslCallflow.Calls.Ringing;

/// <summary>
/// Rings a ring group (docs/behaviour.md ring_group rules), for the ring_group, device and user modules: plan an
/// attempt, send its bridge, follow it to its end; repeat while nobody answers, then go on to the child named by
/// the cause, else <c>_</c>, else hang up with it.
/// </summary>
public sealed class Ringer(BridgeWatcher watcher, RingReport report, ConversationWatch conversations, RingMemory memories)
{
    public async Task<FlowNode?> RingAsync(CallContext call, FlowNode node, RingGroupData data, CancellationToken stopping)
    {
        var random = new Random();
        var cause = "NO_ANSWER";
        var memory = await memories.ReadAsync(data, stopping).ConfigureAwait(false);
        for (var attempt = 1; attempt <= data.Repeats; attempt++)
        {
            var plan = memories.Plan(call, data, memory, random);
            report.Planned(call, plan);
            if (!plan.HasLegs)
            {
                report.NobodyToRing(call, node, attempt, data, plan);
                return RingMemory.NobodyChild(node, plan, out var nobody) is { } child
                    ? node.Child(child)
                    : await HangupAsync(call, nobody, stopping).ConfigureAwait(false);
            }
            report.Ringing(call, attempt, data, plan);
            using var bridge = watcher.Send(call.Session, plan, stopping);
            RingReport.Rung(call, node, attempt, data, plan);
            await memories.RungAsync(data, attempt, plan, stopping).ConfigureAwait(false);
            var end = await bridge.EndAsync().ConfigureAwait(false);
            report.Ended(call, node, attempt, end);
            switch (end)
            {
                case RingEnd.Answered answered:
                    await memories.AnsweredAsync(data, answered.Device, plan, stopping).ConfigureAwait(false);
                    report.TalkEnded(call, answered.Device, await answered.Talk.ConfigureAwait(false));
                    return null;
                case RingEnd.PickedUp { PickerCall: { } pickerCall } picked:
                    // The caller talks to the picker outside this session, which lets go of the call at once: while the
                    // socket application holds the caller (without async it runs in the channel's own thread), the
                    // state intercept left pending (CS_PARK, then uuid_bridge's handlers, switch_ivr_bridge.c) cannot
                    // run, and the caller would outlive its picker. Then followed on the channel feed to its end.
                    if (await FollowPickedUpAsync(call, pickerCall, picked.Picker, call.Session, stopping).ConfigureAwait(false) is { } talk)
                    {
                        report.TalkEnded(call, picked.Picker, talk);
                    }
                    return null;
                case RingEnd.NotAnswered missed:
                    cause = missed.Cause;
                    break;
                default:
                    // Picked up (the caller talks to the picker) or the caller gone: no child, no repeat, no hangup.
                    return null;
            }
        }
        report.Missed(call, node, cause);
        return node.Child(cause) ?? node.Child(FlowNode.DefaultChild) ?? await HangupAsync(call, cause, stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// The picked-up conversation's end (who hung up: the caller, the picker's device, or the daemon), or null when
    /// following it stopped with the daemon. <paramref name="session"/> is the call's own socket session, when it has one.
    /// </summary>
    public async Task<TalkEnd?> FollowPickedUpAsync(ICall call, string pickerCall, string picker, EslOutboundSession? session, CancellationToken stopping)
    {
        if (session is not null)
        {
            await SessionActions.ReleaseAsync(session).ConfigureAwait(false);
        }
        try
        {
            var end = await conversations.FollowAsync(call.Uuid, pickerCall, stopping).ConfigureAwait(false);
            return new TalkEnd(end.TalkSeconds, end.EndedByDaemon ? CallEnding.Daemon : end.FirstGone == call.Uuid ? CallEnding.Caller : picker, end.Cause);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task<FlowNode?> HangupAsync(CallContext call, string cause, CancellationToken stopping)
    {
        await SessionActions.TryHangupAsync(call.Session, cause, stopping).ConfigureAwait(false);
        return null;
    }
}
