using System.Collections.Concurrent;
using System.Globalization;
using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Calls;
using EslCallflow.Calls.Pickup;
using EslCallflow.Calls.Ringing;
using EslCallflow.Configuration;
using EslCallflow.GroupState;
using EslCallflow.Records;
using EslCallflow.Tracking;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Dialplan;

/// <summary>What one fetch gets: the XML, or null for "not found"; and the call it belongs to.</summary>
internal sealed record DialplanAnswer(string? Xml, string Result, DialplanCall? Call = null, DialplanStep? Step = null)
{
    public static DialplanAnswer NotFound(string result) => new(null, result);
}

/// <summary>
/// The calls the daemon runs through FreeSWITCH's dialplan, from their first fetch to their end: each fetch is
/// answered from the call's state (<see cref="DialplanFlow"/> writes the XML), and what happens between fetches
/// (a phone answers, a pickup takes the call, the caller hangs up, the conversation ends) comes from the channel
/// feed, as for socket calls, so a call's record, events, metrics and log lines are those of the socket path.
/// </summary>
public sealed partial class DialplanCalls : IHostedService
{
    private readonly ConcurrentDictionary<string, DialplanCall> _calls = new(StringComparer.Ordinal);
    private readonly CallflowConfigurationStore _store;
    private readonly InboundConnectionService _inbound;
    private readonly ChannelTracker _tracker;
    private readonly DialplanFlow _flow;
    private readonly CallReport _report;
    private readonly Ringer _ringer;
    private readonly PickupRunner _pickup;
    private readonly CallRecords _records;
    private readonly DialplanOptions _options;
    private readonly HashSet<string> _contexts;
    private readonly RingMemory _memories;
    private readonly PhoneRoute? _phoneRoute;
    private readonly bool _cluster;
    private readonly TimeProvider _time;
    private readonly ILogger<DialplanCalls> _logger;

    public DialplanCalls(
        CallflowConfigurationStore store,
        InboundConnectionService inbound,
        ChannelTracker tracker,
        DialplanFlow flow,
        CallReport report,
        Ringer ringer,
        PickupRunner pickup,
        CallRecords records,
        IOptions<DialplanOptions> options,
        RingMemory memories,
        TimeProvider time,
        ILogger<DialplanCalls> logger,
        PhoneRoute? phoneRoute = null,
        IPickupCluster? cluster = null)
    {
        _memories = memories;
        _phoneRoute = phoneRoute;
        _cluster = cluster is not null;
        _store = store;
        _inbound = inbound;
        _tracker = tracker;
        _flow = flow;
        _report = report;
        _ringer = ringer;
        _pickup = pickup;
        _records = records;
        _options = options.Value;
        _contexts = new HashSet<string>(_options.EffectiveContexts, StringComparer.Ordinal);
        _time = time;
        _logger = logger;
    }

    /// <summary>Calls whose record is open.</summary>
    public int InProgress => _calls.Count;

    /// <summary>Decides what a fetch gets. Never throws for a call: a failure is that call's error.</summary>
    internal async ValueTask<DialplanAnswer> AnswerAsync(DialplanFetch fetch, CancellationToken cancellationToken)
    {
        if (fetch is not { Section: "dialplan", Uuid: { Length: > 0 } uuid, Destination: { Length: > 0 } number, Context: { } context })
        {
            return DialplanAnswer.NotFound("not_found");
        }
        if (context == DialplanOptions.NextContext)
        {
            return await ContinueAsync(fetch, uuid, number, cancellationToken).ConfigureAwait(false);
        }
        if (!_contexts.Contains(context))
        {
            LogNotFound(_logger, uuid, number, context, "context not served");
            return DialplanAnswer.NotFound("not_found");
        }
        var config = _store.Current;
        if (config.MatchCallflow(number) is not { } match)
        {
            LogNotFound(_logger, uuid, number, context, "no callflow");
            return DialplanAnswer.NotFound("not_found");
        }
        var needs = CallflowNeeds.Of(config, match.Callflow);
        if (needs.SocketOnly(_cluster) is { } reason)
        {
            LogSocketOnly(_logger, uuid, number, match.Callflow.Id, reason);
            return DialplanAnswer.NotFound("socket");
        }
        if (!_inbound.IsConnected)
        {
            // Answers and pickups are read from the feed: without it, the socket path (which reads them from the
            // call's own session) takes the call, through the static dialplan.
            LogFeedDown(_logger, uuid);
            return DialplanAnswer.NotFound("feed_down");
        }
        var memories = await ReadMemoriesAsync(needs, cancellationToken).ConfigureAwait(false);
        var call = StartCall(fetch, uuid, number, config, match.Captures, match.Callflow, needs);
        call.Memories = memories;
        return Step(call, context, () => _flow.Walk(call, FlowPosition.Root(match.Callflow), DialplanFlow.IsAnswered(fetch)), restore: null);
    }

    /// <summary>
    /// The memories of the ring groups a step may reach (<see cref="CallflowNeeds"/>), read before the step, whose
    /// walk does not wait: the socket path reads the same when its call reaches the group.
    /// </summary>
    private async ValueTask<IReadOnlyDictionary<(string?, string?), GroupMemory>> ReadMemoriesAsync(CallflowNeeds needs, CancellationToken cancellationToken)
    {
        var memories = new Dictionary<(string?, string?), GroupMemory>(needs.Remembering.Count);
        foreach (var data in needs.Remembering)
        {
            var key = CallflowNeeds.MemoryKey(data);
            if (!memories.ContainsKey(key))
            {
                memories[key] = await _memories.ReadAsync(data, cancellationToken).ConfigureAwait(false);
            }
        }
        return memories;
    }

    /// <summary>A fetch in the daemon's own context: the result the call's flow waits for.</summary>
    private async ValueTask<DialplanAnswer> ContinueAsync(DialplanFetch fetch, string uuid, string token, CancellationToken cancellationToken)
    {
        var restore = RestoreTransfers(fetch);
        if (_calls.TryGetValue(uuid, out var call))
        {
            // A result may walk on into another ring group: its memory is read now, as the socket path reads it there.
            var memories = await ReadMemoriesAsync(call.Needs, cancellationToken).ConfigureAwait(false);
            lock (call.Gate)
            {
                if (!call.Finished && call.Waiting is { } waiting)
                {
                    call.Memories = memories;
                    return Step(call, DialplanOptions.NextContext, () => Result(call, waiting, fetch), restore);
                }
            }
        }
        // Not a call in memory: the daemon restarted since its last fetch. The token says where its flow was.
        var config = _store.Current;
        if (ContinuationToken.Decode(token) is not { } decoded || decoded.Resolve(config) is not { } node
            || !config.Callflows.TryGetValue(decoded.CallflowId, out var callflow))
        {
            LogUnknownContinuation(_logger, uuid, token);
            return DialplanAnswer.NotFound("not_found");
        }
        var number = fetch.Channel["Hunt-RDNIS"] is { Length: > 0 } dialled && config.MatchCallflow(dialled)?.Callflow.Id == callflow.Id
            ? dialled
            : callflow.Numbers.Count > 0 ? callflow.Numbers[0] : callflow.Id;
        var needs = CallflowNeeds.Of(config, callflow);
        var resumedMemories = await ReadMemoriesAsync(needs, cancellationToken).ConfigureAwait(false);
        var resumed = StartCall(fetch, uuid, number, config, [], callflow, needs);
        resumed.Memories = resumedMemories;
        var at = new FlowPosition(node, decoded.CallflowId, decoded.Path);
        var ring = node.Parsed switch
        {
            RingGroupData data => data,
            RingTargetData target => target.Rings,
            _ => null,
        };
        return Step(resumed, DialplanOptions.NextContext, () => ring is null
            ? new DialplanStep([CallCommands.Hangup("NORMAL_TEMPORARY_FAILURE")], StepEnd.CallEnds)
            : _flow.RingResult(resumed, new RingWaiting(at, ring, decoded.Attempt, new RingGroupAttempt([], [], null, []), _time.GetTimestamp(), resumed.MemoryOf(ring)), fetch), restore);
    }

    private DialplanStep Result(DialplanCall call, Waiting waiting, DialplanFetch fetch)
    {
        call.Waiting = null;
        call.StepWatch?.Cancel();
        return waiting switch
        {
            RingWaiting ring => _flow.RingResult(call, ring, fetch),
            PickupWaiting pickup => _flow.PickupResult(call, pickup, fetch),
            _ => throw new InvalidOperationException($"nothing continues a {waiting.GetType().Name}"),
        };
    }

    /// <summary>
    /// The transfer that brought the call back used one of FreeSWITCH's allowance for the call (switch_ivr.c
    /// <c>switch_ivr_session_transfer</c>: <c>max_session_transfers</c> if set, else <c>max_forwards</c>, 70 by default,
    /// one less per transfer; at 0 the call is hung up). The continuation gives it back, so that a ring group's
    /// repeats never run it out and the rung phones' INVITEs carry the Max-Forwards they carry on the socket path.
    /// </summary>
    private static PlannedCommand RestoreTransfers(DialplanFetch fetch)
    {
        var (name, value) = fetch.Channel.GetVariable("max_session_transfers") is { Length: > 0 } sessionTransfers
            ? ("max_session_transfers", sessionTransfers)
            : ("max_forwards", fetch.Channel.GetVariable("max_forwards"));
        // Unset before the transfer, the transfer wrote 69 (its default of 70, less one).
        var left = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 69;
        return new PlannedCommand("set", name + "=" + (left + 1).ToString(CultureInfo.InvariantCulture));
    }

    private DialplanCall StartCall(DialplanFetch fetch, string uuid, string number, PbxConfiguration config, IReadOnlyList<string> captures, Callflow callflow, CallflowNeeds needs)
    {
        var channel = fetch.Channel;
        var caller = CallReport.CallerOf(config, channel) with { PhoneRoute = _phoneRoute };
        var record = _records.Start(uuid, number, callflow.Id, caller.Device, channel["Caller-Caller-ID-Name"], channel["Caller-Caller-ID-Number"]);
        var call = new DialplanCall(uuid, config, caller, number, captures, record) { Needs = needs };
        if (_calls.TryRemove(uuid, out var earlier))
        {
            // The same channel back in the dialplan (a transfer module sent it to another callflow number): the
            // earlier call is over for the daemon, as its socket session would be.
            lock (earlier.Gate)
            {
                Finish(earlier, null);
            }
        }
        _calls[uuid] = call;
        _report.Started(uuid, number, callflow.Id, caller);
        _ = WatchHangupAsync(call);
        return call;
    }

    /// <summary>One step of a call's flow, under its lock; a failure ends the call as the socket path ends it.</summary>
    private DialplanAnswer Step(DialplanCall call, string context, Func<DialplanStep> decide, PlannedCommand? restore)
    {
        lock (call.Gate)
        {
            DialplanStep step;
            try
            {
                step = decide();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _report.FlowFailed(ex, call.Uuid, call.Number);
                call.Outcome.Decide("error");
                step = new DialplanStep([CallCommands.Hangup("NORMAL_TEMPORARY_FAILURE")], StepEnd.CallEnds);
            }
            if (step.Waiting is { } waiting)
            {
                // Watched before the XML goes out, so an answer or a pickup cannot come first.
                call.Waiting = waiting;
                call.StepWatch = CancellationTokenSource.CreateLinkedTokenSource(call.Lifetime.Token);
                _ = WatchJoinAsync(call, waiting, call.StepWatch.Token);
            }
            IReadOnlyList<PlannedCommand> commands = restore is not null ? [restore, .. step.Commands]
                : step.End == StepEnd.Waits ? [new PlannedCommand("set", AppArgument.Set(DialplanOptions.NumberVariable, call.Number)), .. step.Commands]
                : step.Commands;
            return new DialplanAnswer(DialplanDocument.Build(context, commands), context == DialplanOptions.NextContext ? "continued" : "callflow", call, step);
        }
    }

    /// <summary>Once the XML is on its way: a ring attempt is told, and a step that ends the call waits for its end.</summary>
    internal void Sent(DialplanAnswer answer)
    {
        if (answer is not { Call: { } call, Step: { } step })
        {
            return;
        }
        lock (call.Gate)
        {
            if (call.Finished)
            {
                return;
            }
            switch (step.End)
            {
                case StepEnd.Waits when step.Waiting is RingWaiting ring:
                    DialplanFlow.Rung(call, ring);
                    Remember(call, _memories.RungAsync(ring.Data, ring.Attempt, ring.Plan, CancellationToken.None));
                    break;
                case StepEnd.HandedOver:
                    Finish(call, null);
                    break;
                case StepEnd.CallEnds when step.PickedUp is { } picked:
                    call.FlowOver = true;
                    call.Following = true;
                    _ = FollowPickupAsync(call, picked);
                    break;
                case StepEnd.CallEnds:
                    call.FlowOver = true;
                    _ = FinishUnlessEndedAsync(call);
                    break;
            }
        }
    }

    private async Task WatchJoinAsync(DialplanCall call, Waiting waiting, CancellationToken stepToken)
    {
        while (true)
        {
            var joined = _tracker.JoinedAsync(call.Uuid, stepToken);
            call.StepJoin = joined;
            string other;
            try
            {
                other = await joined.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (call.Gate)
            {
                if (call.Finished || !ReferenceEquals(call.Waiting, waiting) || Joined(call, waiting, other))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// The channel was joined to <paramref name="other"/> while <paramref name="waiting"/>: a ring group's answer or
    /// pickup, a pickup's success. Returns false when that join is not the one waited for. Under the call's lock.
    /// </summary>
    private bool Joined(DialplanCall call, Waiting waiting, string other)
    {
        switch (waiting)
        {
            case RingWaiting ring:
                call.Waiting = null;
                switch (_flow.Joined(call, ring, other, call.Talk.Task))
                {
                    case RingEnd.PickedUp picked:
                        // The caller talks to the picker now: no child, no repeat; followed to its end.
                        call.Following = true;
                        _ = FollowPickedUpAsync(call, other, picked.Picker);
                        break;
                    case RingEnd.Answered answered:
                        call.Talking = (answered.Device, _time.GetTimestamp());
                        Remember(call, _memories.AnsweredAsync(ring.Data, answered.Device, ring.Plan, CancellationToken.None));
                        break;
                }
                return true;
            case PickupWaiting pickup when _flow.Joined(call, pickup, other) is { } picked:
                call.Waiting = null;
                call.Following = true;
                _ = FollowPickupAsync(call, picked);
                return true;
            default:
                return false;
        }
    }

    /// <summary>A ring group's call picked up: the conversation to its end (the ConversationWatch ends a side left in dead air).</summary>
    private async Task FollowPickedUpAsync(DialplanCall call, string pickerCall, string picker)
    {
        var talk = await _ringer.FollowPickedUpAsync(call, pickerCall, picker, null, call.Lifetime.Token).ConfigureAwait(false);
        lock (call.Gate)
        {
            if (talk is not null && !call.Finished)
            {
                _flow.TalkEnded(call, picker, talk);
                Finish(call, null);
            }
        }
    }

    /// <summary>
    /// A pickup's conversation to its end, as on the socket path. The ring group whose call it took, when the daemon
    /// runs it through the dialplan too, follows the same conversation from now (the switch may never tell it, when
    /// the picker is gone before the two are joined), so both see one end.
    /// </summary>
    private async Task FollowPickupAsync(DialplanCall call, PickupResult picked)
    {
        // Out of the picker's lock before the ring group's is taken.
        await Task.Yield();
        if (picked.PickedCallUuid is { } pickedCall && _calls.TryGetValue(pickedCall, out var ringing))
        {
            lock (ringing.Gate)
            {
                if (!ringing.Finished && ringing.Waiting is RingWaiting ring)
                {
                    ringing.Waiting = null;
                    ringing.Following = true;
                    _ = FollowPickedUpAsync(ringing, call.Uuid, _flow.PickedUp(ringing, ring, call.Uuid).Picker);
                }
            }
        }
        await _pickup.FollowAsync(call, picked, null, call.Lifetime.Token).ConfigureAwait(false);
        lock (call.Gate)
        {
            Finish(call, null);
        }
    }

    private async Task WatchHangupAsync(DialplanCall call)
    {
        ChannelHangup hangup;
        try
        {
            hangup = await _tracker.HungUpAsync(call.Uuid, call.Lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (call.Gate)
        {
            if (call.Finished || call.Following)
            {
                return;
            }
            // The feed told the join before the hangup, but its watch has not run yet (a conversation of a moment).
            if (call.Waiting is { } waiting && call.StepJoin is { IsCompletedSuccessfully: true } joined && Joined(call, waiting, joined.Result) && call.Following)
            {
                return;
            }
            if (call.Talking is { } talking)
            {
                var callerHungUp = hangup.ByItsPhone ?? true;
                var hungUpBy = callerHungUp ? CallEnding.Caller : talking.Device;
                // A busy member that declined while the group rang leaves its USER_BUSY in last_bridge_hangup_cause
                // (switch_channel.c, switch_channel_set_variable_partner): when the caller ended the talk, its own cause says it.
                var cause = (callerHungUp ? hangup.Cause : null) ?? hangup.LastBridgeCause ?? hangup.Cause ?? "NORMAL_CLEARING";
                var talk = new TalkEnd(_time.GetElapsedTime(talking.Since).TotalSeconds, hungUpBy, cause);
                call.Talk.TrySetResult(talk);
                _flow.TalkEnded(call, talking.Device, talk);
            }
            else
            {
                switch (call.Waiting)
                {
                    case RingWaiting ring:
                        if (_flow.CallerGone(call, ring) is RingEnd.PickedUp picked)
                        {
                            // Picked up, the picker gone before they were joined: the conversation's end is the watch's.
                            call.Waiting = null;
                            call.Following = true;
                            _ = FollowPickedUpAsync(call, picked.PickerCall!, picked.Picker);
                            return;
                        }
                        break;
                    case PickupWaiting pickup:
                        if (_flow.PickerGone(call, pickup, hangup.OtherLeg) is { } took)
                        {
                            call.Waiting = null;
                            call.Following = true;
                            _ = FollowPickupAsync(call, took);
                            return;
                        }
                        break;
                    case null when !call.FlowOver:
                        _report.CallGone(call.Uuid);
                        break;
                }
            }
            Finish(call, hangup);
        }
    }

    private async Task FinishUnlessEndedAsync(DialplanCall call)
    {
        try
        {
            await Task.Delay(_options.EndTimeout, _time, call.Lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (call.Gate)
        {
            if (!call.Finished)
            {
                LogEndNotSeen(_logger, call.Uuid, _options.EndTimeout);
                Finish(call, null);
            }
        }
    }

    /// <summary>The call is over for the daemon: one outcome counted, the record ended, every watch dropped. Under the call's lock.</summary>
    private void Finish(DialplanCall call, ChannelHangup? hangup, string? undecided = null)
    {
        if (call.Finished)
        {
            return;
        }
        call.Finished = true;
        call.Waiting = null;
        // As CallHandler: the last module's decision, else how the flow ended (a caller gone before it was over).
        var callerLeft = hangup is not null && (!call.FlowOver || hangup.ByItsPhone == true);
        _report.Ended(call.Record, call.Outcome.Decided ?? undecided ?? (callerLeft ? "caller_gone" : "completed"), hangup?.Cause);
        call.Lifetime.Cancel();
        _calls.TryRemove(new KeyValuePair<string, DialplanCall>(call.Uuid, call));
    }

    /// <summary>A write to a ring group's memory (round_robin's start, least_recent's answer), awaited off the call's lock.</summary>
    private void Remember(DialplanCall call, Task write)
    {
        if (!write.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(call.Uuid, write);
        }
    }

    private async Task ObserveAsync(string callUuid, Task write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogMemoryNotWritten(_logger, ex, callUuid);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On stop, the calls still open end their records (their last events are spooled before the process ends).</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var call in _calls.Values)
        {
            lock (call.Gate)
            {
                Finish(call, null, "stopped");
            }
        }
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 8003, Level = LogLevel.Debug, Message = "Call {CallUuid}: dialplan fetch for {Number} in context {Context}: not a callflow here ({Reason}); the static dialplan runs")]
    private static partial void LogNotFound(ILogger logger, string callUuid, string number, string context, string reason);

    [LoggerMessage(EventId = 8009, Level = LogLevel.Debug, Message = "Call {CallUuid}: callflow {CallflowId} for {Number} runs on the outbound socket ({Reason}); answering \"not found\" so that the static dialplan hands the call there")]
    private static partial void LogSocketOnly(ILogger logger, string callUuid, string number, string callflowId, string reason);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Call {CallUuid}: the channel feed is down; answering \"not found\" so that the static dialplan (the outbound socket) takes the call")]
    private static partial void LogFeedDown(ILogger logger, string callUuid);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Call {CallUuid}: continuation {Token} names nothing in the configuration; answering \"not found\"")]
    private static partial void LogUnknownContinuation(ILogger logger, string callUuid, string token);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Warning, Message = "Call {CallUuid}: the ring group's memory (round_robin's start or least_recent's answer) was not written")]
    private static partial void LogMemoryNotWritten(ILogger logger, Exception exception, string callUuid);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Warning, Message = "Call {CallUuid}: the channel feed did not show the call's end within {Timeout}; its record ends with what the flow decided")]
    private static partial void LogEndNotSeen(ILogger logger, string callUuid, TimeSpan timeout);
}
