using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl;
using EslCallflow.Esl.Outbound;
using EslCallflow.Hosting;
using EslCallflow.Operations;
using EslCallflow.Tracking;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Calls;

/// <summary>
/// Runs one call's callflow on its outbound session: find the caller and the callflow, then walk the flow
/// (ring_group with repeats and cause-keyed children, device, user, play, response, callflow, transfer).
/// Anything that goes wrong ends this call cleanly and never touches another.
/// </summary>
public sealed partial class CallHandler
{
    private const int MaxFlowSteps = 32;
    private readonly CallflowConfigurationStore _store;
    private readonly GroupPickupRunner _pickup;
    private readonly ChannelTracker _tracker;
    private readonly PickupClaims _claims;
    private readonly DaemonMetrics _metrics;
    private readonly ILogger<CallHandler> _logger;

    public CallHandler(CallflowConfigurationStore store, GroupPickupRunner pickup, ChannelTracker tracker, PickupClaims claims, DaemonMetrics metrics, ILogger<CallHandler> logger)
    {
        _metrics = metrics;
        _store = store;
        _pickup = pickup;
        _tracker = tracker;
        _claims = claims;
        _logger = logger;
    }

    public async Task HandleAsync(EslOutboundSession session, CancellationToken stopping)
    {
        var config = _store.Current;
        var channel = session.ChannelData;
        var number = channel["Caller-Destination-Number"] ?? channel["Channel-Destination-Number"] ?? string.Empty;
        var caller = new CallerContext(CallerIdentity.Find(config, channel));
        using var scope = _logger.BeginScope(new KeyValuePair<string, object>[] { new("CallUuid", session.UniqueId), new("Number", number) });

        var callflow = config.FindCallflow(number);
        if (callflow is null)
        {
            LogUnallocated(_logger, number, session.UniqueId);
            _metrics.CallEnded("none", "unallocated");
            await session.HangupAsync("UNALLOCATED_NUMBER", stopping).ConfigureAwait(false);
            return;
        }
        LogStarted(_logger, session.UniqueId, number, callflow.Id, caller.Device?.Id ?? "external");

        try
        {
            await RunFlowAsync(session, config, callflow.Flow, caller, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is EslConnectionClosedException && session.CallEnded.IsCancellationRequested)
        {
            LogCallGone(_logger, session.UniqueId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFlowFailed(_logger, ex, session.UniqueId, number, ex.Message);
            _metrics.CallEnded("flow", "error");
            await SessionActions.TryHangupAsync(session, "NORMAL_TEMPORARY_FAILURE", stopping).ConfigureAwait(false);
        }
    }

    private async Task RunFlowAsync(EslOutboundSession session, PbxConfiguration config, FlowNode start, CallerContext caller, CancellationToken stopping)
    {
        FlowNode? node = start;
        for (var step = 0; node is not null; step++)
        {
            if (step >= MaxFlowSteps)
            {
                LogTooManySteps(_logger, session.UniqueId, MaxFlowSteps);
                await SessionActions.TryHangupAsync(session, "NORMAL_TEMPORARY_FAILURE", stopping).ConfigureAwait(false);
                return;
            }
            if (session.CallEnded.IsCancellationRequested)
            {
                return;
            }
            using var moduleScope = _logger.BeginScope(new KeyValuePair<string, object>[] { new("Module", node.Module) });
            node = await RunNodeAsync(session, config, node, caller, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one module; returns the next node, or null when the call is done.</summary>
    private async Task<FlowNode?> RunNodeAsync(EslOutboundSession session, PbxConfiguration config, FlowNode node, CallerContext caller, CancellationToken stopping)
    {
        switch (node.Parsed)
        {
            case RingGroupData { SkipModule: true }:
            case RingTargetData { SkipModule: true }:
            case PlayData { SkipModule: true }:
            case ResponseData { SkipModule: true }:
            case CallflowJumpData { SkipModule: true }:
            case TransferData { SkipModule: true }:
            case GroupPickupData { SkipModule: true }:
                LogSkipped(_logger, session.UniqueId, node.Module);
                return node.Child(FlowNode.DefaultChild);

            case RingGroupData ring:
                return await RingAsync(session, config, node, ring, caller, stopping).ConfigureAwait(false);

            case RingTargetData target:
                var asGroup = new RingGroupData([new RingGroupEndpoint(target.Id, target.Type, 0, target.Timeout, RingGroupData.DefaultWeight)],
                    RingStrategy.Simultaneous, target.Timeout, 1, null, null, null, false, true, false);
                return await RingAsync(session, config, node, asGroup, caller, stopping).ConfigureAwait(false);

            case PlayData play:
                await session.ExecuteAsync("playback", AppArgument.Encode(play.Media), stopping).ConfigureAwait(false);
                return node.Child(FlowNode.DefaultChild);

            case ResponseData response:
                await SessionActions.RespondAsync(session, response.Code, response.Message, response.Media, stopping).ConfigureAwait(false);
                return null;

            case CallflowJumpData jump:
                return config.Callflows.TryGetValue(jump.Id, out var target2) ? target2.Flow : null;

            case TransferData transfer:
                await session.ExecuteAsync("transfer", $"{transfer.Extension} {transfer.Dialplan} {transfer.Context}", stopping).ConfigureAwait(false);
                return null;

            case GroupPickupData pickup:
                // Terminal: children are never run (behaviour.md group_pickup rule 8).
                var picked = await _pickup.RunAsync(session, config, pickup, caller.Device, stopping).ConfigureAwait(false);
                var outcome = picked switch
                {
                    PickupOutcome.PickedUp => "picked_up",
                    PickupOutcome.Refused => "refused",
                    PickupOutcome.NothingToPickUp => "nothing_to_pick_up",
                    _ => "caller_gone",
                };
                _metrics.Pickup(outcome);
                _metrics.CallEnded(node.Module, outcome);
                return null;

            default:
                throw new InvalidOperationException($"module '{node.Module}' has no runner");
        }
    }

    private async Task<FlowNode?> RingAsync(EslOutboundSession session, PbxConfiguration config, FlowNode node, RingGroupData data, CallerContext caller, CancellationToken stopping)
    {
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
                LogNobodyToRing(_logger, session.UniqueId);
                _metrics.CallEnded(node.Module, "nobody_to_ring");
                return node.Child(FlowNode.DefaultChild) ?? await HangupAndStopAsync(session, "NO_USER_RESPONSE", stopping).ConfigureAwait(false);
            }

            LogRinging(_logger, session.UniqueId, attempt, data.Repeats, plan.Legs.Count, plan.DialString!);
            // One write: everything before the bridge goes out with it, no round trip in between.
            var bridge = plan.Commands[^1];
            var first = new (string Application, string? Argument)[plan.Commands.Count - 1];
            for (var i = 0; i < first.Length; i++)
            {
                first[i] = (plan.Commands[i].Application, plan.Commands[i].Argument);
            }
            // Only the legs are read once the bridge ends: the plan's text (kilobytes) is not kept for the whole call.
            var legs = plan.Legs;
            var outcome = BridgeOutcome.From(await session.ExecuteAfterAsync(
                first, bridge.Application, bridge.Argument, attempt == 1 ? () => _metrics.Decision(session.ConnectedAt) : null, stopping).ConfigureAwait(false));
            if (outcome.Result == BridgeResult.Answered)
            {
                LogAnswered(_logger, session.UniqueId, DeviceOf(outcome.OtherLeg, legs), outcome.OtherLeg ?? "unknown");
                _metrics.CallEnded(node.Module, "answered");
                return null;
            }
            if (outcome.Result == BridgeResult.PickedUp)
            {
                // The caller is talking to the picker now: no child, no repeat, no hangup.
                var picker = _claims.PickedUpBy(session.UniqueId) ?? DeviceOf(outcome.OtherLeg, null);
                LogPickedUp(_logger, session.UniqueId, picker, outcome.OtherLeg ?? "unknown");
                _metrics.CallEnded(node.Module, "picked_up");
                return null;
            }
            cause = outcome.Cause;
            if (session.CallEnded.IsCancellationRequested || cause is "ORIGINATOR_CANCEL")
            {
                LogMissed(_logger, session.UniqueId, "ORIGINATOR_CANCEL");
                _metrics.CallEnded(node.Module, "missed");
                return null;
            }
            LogAttemptFailed(_logger, session.UniqueId, attempt, cause);
        }

        LogMissed(_logger, session.UniqueId, cause);
        _metrics.CallEnded(node.Module, "missed");
        return node.Child(cause) ?? node.Child(FlowNode.DefaultChild) ?? await HangupAndStopAsync(session, cause, stopping).ConfigureAwait(false);
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

    private static async Task<FlowNode?> HangupAndStopAsync(EslOutboundSession session, string cause, CancellationToken stopping)
    {
        await SessionActions.TryHangupAsync(session, cause, stopping).ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Call {CallUuid}: no callflow for {Number}; hanging up with UNALLOCATED_NUMBER")]
    private static partial void LogUnallocated(ILogger logger, string number, string callUuid);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Call {CallUuid} to {Number}: callflow {CallflowId}, caller {CallerDevice}")]
    private static partial void LogStarted(ILogger logger, string callUuid, string number, string callflowId, string callerDevice);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Call {CallUuid} to {Number}: flow failed ({Reason}); ending the call")]
    private static partial void LogFlowFailed(ILogger logger, Exception ex, string callUuid, string number, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Call {CallUuid}: caller hung up")]
    private static partial void LogCallGone(ILogger logger, string callUuid);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Call {CallUuid}: {ModuleName} skipped (skip_module)")]
    private static partial void LogSkipped(ILogger logger, string callUuid, string moduleName);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Call {CallUuid}: device {DeviceId} not rung: {Reason}")]
    private static partial void LogExcluded(ILogger logger, string callUuid, string deviceId, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Call {CallUuid}: no device left to ring")]
    private static partial void LogNobodyToRing(ILogger logger, string callUuid);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Call {CallUuid}: ringing {LegCount} leg(s), attempt {Attempt}/{Repeats}: {DialString}")]
    private static partial void LogRinging(ILogger logger, string callUuid, int attempt, int repeats, int legCount, string dialString);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome answered by {AnsweredDevice} (leg {AnsweredLeg})")]
    private static partial void LogAnswered(ILogger logger, string callUuid, string answeredDevice, string answeredLeg);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome missed ({Cause})")]
    private static partial void LogMissed(ILogger logger, string callUuid, string cause);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "Call {CallUuid}: attempt {Attempt} not answered ({Cause})")]
    private static partial void LogAttemptFailed(ILogger logger, string callUuid, int attempt, string cause);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Call {CallUuid}: flow exceeded {MaxSteps} steps (callflow loop?); ending the call")]
    private static partial void LogTooManySteps(ILogger logger, string callUuid, int maxSteps);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome answered by pickup: {PickerDevice} (leg {PickerLeg})")]
    private static partial void LogPickedUp(ILogger logger, string callUuid, string pickerDevice, string pickerLeg);
}
