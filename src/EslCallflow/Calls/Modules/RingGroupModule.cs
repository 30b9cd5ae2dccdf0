using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using System.Text.Json;
using EslCallflow.Operations;
using EslCallflow.Records;
using EslCallflow.Tracking;
using Microsoft.Extensions.Logging;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// ring_group (KAZOO cf_ring_group, docs/behaviour.md ring_group rules): plan the legs, send one bridge, and follow
/// it: the answer when it happens, a pickup, or the cause it failed with, which picks the child (repeats first).
/// The device and user modules ring through here too.
/// </summary>
public sealed partial class RingGroupModule : ICallflowModule
{
    private readonly ChannelTracker _tracker;
    private readonly PickupClaims _claims;
    private readonly DaemonMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<RingGroupModule> _logger;
    private readonly ConversationWatch _conversations;

    public RingGroupModule(ChannelTracker tracker, PickupClaims claims, ConversationWatch conversations, DaemonMetrics metrics, TimeProvider time, ILogger<RingGroupModule> logger)
    {
        _conversations = conversations;
        _tracker = tracker;
        _claims = claims;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public string Name => RingGroupData.Module;

    public Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping) =>
        RingAsync(call, node, (RingGroupData)node.Parsed!, stopping);

    public async Task<FlowNode?> RingAsync(CallContext call, FlowNode node, RingGroupData data, CancellationToken stopping)
    {
        var (session, config, caller) = (call.Session, call.Config, call.Caller);
        var random = new Random();
        var cause = "NO_ANSWER";
        for (var attempt = 1; attempt <= data.Repeats; attempt++)
        {
            var plan = RingGroupPlanner.Plan(config, data, caller, random);
            foreach (var excluded in plan.Excluded)
            {
                LogExcluded(_logger, session.UniqueId, excluded.DeviceId, excluded.Reason);
            }
            if (!plan.HasLegs)
            {
                call.Record.Ringing(attempt, node.Module, Strategy(data), [], LeftOutOf(plan));
            }
            if (!plan.HasLegs)
            {
                LogNobodyToRing(_logger, session.UniqueId);
                call.Decide(_metrics, node.Module, "nobody_to_ring");
                return node.Child(FlowNode.DefaultChild) ?? await HangupAndStopAsync(session, "NO_USER_RESPONSE", stopping).ConfigureAwait(false);
            }

            LogRinging(_logger, session.UniqueId, attempt, data.Repeats, plan.Legs.Count, plan.DialString!);
            // One write, ending in the bridge: everything before it goes out with it, no round trip in between.
            var executes = new EslExecute[plan.Commands.Count];
            for (var i = 0; i < executes.Length; i++)
            {
                executes[i] = new EslExecute(plan.Commands[i].Application, plan.Commands[i].Argument);
            }
            // Only the legs are read once the bridge ends: the plan's text (kilobytes) is not kept for the whole call.
            var legs = plan.Legs;
            var ringingSince = _time.GetTimestamp();
            using var ringing = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            // Watched before the bridge is sent, so its CHANNEL_BRIDGE cannot come first.
            var bridgedOnFeed = _tracker.BridgedAsync(session.UniqueId, ringing.Token);
            var completion = session.ExecuteAllAsync(executes, stopping);
            // Told once the bridge is on its way: the record never delays the decision.
            call.Record.Ringing(attempt, node.Module, Strategy(data), [.. legs.Select(l => l.Device.Id)], LeftOutOf(plan));
            // A phone answering shows as the caller's CHANNEL_BRIDGE; the bridge itself completes only when the
            // conversation ends, so the answer is told here, when it happens. The call's own socket says so in
            // `socket ... async` mode; without async FreeSWITCH runs the bridge inline and holds the socket's
            // events until it returns (mod_event_socket.c: listener_run calls parse_command, whose sendmsg runs
            // switch_ivr_parse_event in the channel's thread, and only read_packet sends events), so the channel
            // feed says it instead. Whichever is first.
            await Task.WhenAny(completion, session.Bridged, bridgedOnFeed).ConfigureAwait(false);
            string? answeredLeg = null;
            if (session.Bridged.IsCompletedSuccessfully)
            {
                answeredLeg = (await session.Bridged.ConfigureAwait(false)).OtherLegUniqueId;
            }
            else if (bridgedOnFeed.IsCompletedSuccessfully)
            {
                answeredLeg = await bridgedOnFeed.ConfigureAwait(false);
            }
            await ringing.CancelAsync().ConfigureAwait(false);
            if (answeredLeg is not null && _claims.PickedUpBy(session.UniqueId) is null)
            {
                return await TalkAsync(call, node, answeredLeg, DeviceOf(answeredLeg, legs), _time.GetElapsedTime(ringingSince), completion).ConfigureAwait(false);
            }
            var completed = await completion.ConfigureAwait(false);
            var outcome = BridgeOutcome.From(completed);
            if (outcome.Result == BridgeResult.Answered)
            {
                // Answered, and the conversation already over, with no CHANNEL_BRIDGE seen first (the feed was down,
                // or its event lost the race with this completion): told now, the talk time from FreeSWITCH's clock.
                var device = DeviceOf(outcome.OtherLeg, legs);
                Answered(call, node, outcome.OtherLeg ?? "unknown", device, _time.GetElapsedTime(ringingSince));
                Ended(call, device, completed, outcome.TalkSeconds ?? 0);
                return null;
            }
            if (outcome.Result == BridgeResult.PickedUp)
            {
                // The caller is talking to the picker now: no child, no repeat, no hangup.
                var picker = _claims.PickedUpBy(session.UniqueId) ?? DeviceOf(outcome.OtherLeg, null);
                LogPickedUp(_logger, session.UniqueId, picker, outcome.OtherLeg ?? "unknown");
                call.Decide(_metrics, node.Module, "picked_up");
                call.Record.PickedUp(picker, outcome.OtherLeg, _claims.PickedUpFrom(session.UniqueId));
                if (_claims.PickerCallOf(session.UniqueId) is { } pickerCall)
                {
                    await FollowPickedUpAsync(call, pickerCall, picker, stopping).ConfigureAwait(false);
                }
                return null;
            }
            cause = outcome.Cause;
            if (session.CallEnded.IsCancellationRequested || cause is "ORIGINATOR_CANCEL")
            {
                LogMissed(_logger, session.UniqueId, "ORIGINATOR_CANCEL");
                call.Decide(_metrics, node.Module, "missed");
                call.Record.Missed("ORIGINATOR_CANCEL");
                return null;
            }
            LogAttemptFailed(_logger, session.UniqueId, attempt, cause);
        }

        LogMissed(_logger, session.UniqueId, cause);
        call.Decide(_metrics, node.Module, "missed");
        call.Record.Missed(cause);
        return node.Child(cause) ?? node.Child(FlowNode.DefaultChild) ?? await HangupAndStopAsync(session, cause, stopping).ConfigureAwait(false);
    }

    /// <summary>The caller talks to the picker now, outside this session: followed to its end on the channel feed.</summary>
    private async Task FollowPickedUpAsync(CallContext call, string pickerCall, string picker, CancellationToken stopping)
    {
        ConversationEnd end;
        try
        {
            end = await _conversations.FollowAsync(call.Uuid, pickerCall, call.Session, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var hungUpBy = end.EndedByDaemon ? CallEnding.Daemon : end.FirstGone == call.Uuid ? CallEnding.Caller : picker;
        LogCallEnded(_logger, call.Uuid, end.TalkSeconds, picker, hungUpBy, end.Cause);
        call.Record.TalkEnded(end.TalkSeconds, hungUpBy, end.Cause);
    }

    /// <summary>A phone answered: say so now, then wait for the conversation to end and say how it ended.</summary>
    private async Task<FlowNode?> TalkAsync(CallContext call, FlowNode node, string answeredLeg, string answeredDevice, TimeSpan rang, Task<EslEvent> completion)
    {
        Answered(call, node, answeredLeg, answeredDevice, rang);
        var answeredAt = _time.GetTimestamp();
        EslEvent? ended = null;
        try
        {
            ended = await completion.ConfigureAwait(false);
        }
        catch (EslConnectionClosedException)
        {
            // The socket went before the completion: the call ended (or FreeSWITCH went) all the same.
        }
        Ended(call, answeredDevice, ended, _time.GetElapsedTime(answeredAt).TotalSeconds);
        return null;
    }

    private void Answered(CallContext call, FlowNode node, string answeredLeg, string answeredDevice, TimeSpan rang)
    {
        LogAnswered(_logger, call.Session.UniqueId, answeredDevice, answeredLeg, rang.TotalSeconds);
        call.Decide(_metrics, node.Module, "answered");
        call.Record.Answered(answeredDevice, answeredLeg, rang.TotalSeconds);
    }

    /// <param name="ended">The bridge's completion; null when the socket closed first.</param>
    private void Ended(CallContext call, string answeredDevice, EslEvent? ended, double talked)
    {
        var session = call.Session;
        // The caller's own hangup ends the bridge with the caller's channel already down; the other way round
        // the bridge returns first and hangup_after_bridge then ends the caller.
        var callerHungUp = ended is null ? session.CallEnded.IsCancellationRequested : ended.AnswerState == "hangup";
        var cause = ended?.GetVariable("last_bridge_hangup_cause") ?? ended?.GetVariable("bridge_hangup_cause") ?? ended?.HangupCause ?? "NORMAL_CLEARING";
        LogCallEnded(_logger, session.UniqueId, talked, answeredDevice, callerHungUp ? "caller" : answeredDevice, cause);
        call.Record.TalkEnded(talked, callerHungUp ? "caller" : answeredDevice, cause);
    }

    /// <summary>
    /// Which device a leg rang, from the channel tracker (our device variable, else its SIP identity);
    /// a single-leg plan names its device even when the feed is down.
    /// </summary>
    private string DeviceOf(string? legUuid, IReadOnlyList<PlannedLeg>? legs)
    {
        if (legUuid is not null && _tracker.Find(legUuid) is { } leg && (leg.DeviceId ?? leg.SipIdentity) is { } device)
        {
            return device;
        }
        return legs is [var only] ? only.Device.Id : "unknown";
    }

    private static string Strategy(RingGroupData data) => JsonNamingPolicy.SnakeCaseLower.ConvertName(data.Strategy.ToString());

    private static LeftOut[] LeftOutOf(RingGroupAttempt plan) => [.. plan.Excluded.Select(e => new LeftOut(e.DeviceId, e.Reason))];

    private static async Task<FlowNode?> HangupAndStopAsync(EslOutboundSession session, string cause, CancellationToken stopping)
    {
        await SessionActions.TryHangupAsync(session, cause, stopping).ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Call {CallUuid}: device {DeviceId} not rung: {Reason}")]
    private static partial void LogExcluded(ILogger logger, string callUuid, string deviceId, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Call {CallUuid}: no device left to ring")]
    private static partial void LogNobodyToRing(ILogger logger, string callUuid);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Call {CallUuid}: ringing {LegCount} leg(s), attempt {Attempt}/{Repeats}: {DialString}")]
    private static partial void LogRinging(ILogger logger, string callUuid, int attempt, int repeats, int legCount, string dialString);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome answered by {AnsweredDevice} after {RingSeconds:0.0} s (leg {AnsweredLeg})")]
    private static partial void LogAnswered(ILogger logger, string callUuid, string answeredDevice, string answeredLeg, double ringSeconds);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Call {CallUuid}: ended after {TalkSeconds:0.0} s with {AnsweredDevice}; {HungUpBy} hung up ({Cause})")]
    private static partial void LogCallEnded(ILogger logger, string callUuid, double talkSeconds, string answeredDevice, string hungUpBy, string cause);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome missed ({Cause})")]
    private static partial void LogMissed(ILogger logger, string callUuid, string cause);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "Call {CallUuid}: attempt {Attempt} not answered ({Cause})")]
    private static partial void LogAttemptFailed(ILogger logger, string callUuid, int attempt, string cause);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome answered by pickup: {PickerDevice} (leg {PickerLeg})")]
    private static partial void LogPickedUp(ILogger logger, string callUuid, string pickerDevice, string pickerLeg);
}
