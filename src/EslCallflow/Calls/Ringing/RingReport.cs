using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Metrics;
using EslCallflow.Records;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Calls.Ringing;

/// <summary>What ringing did, told once: each step and outcome of a ring group becomes its log line, its record and its metric here.</summary>
public sealed partial class RingReport(DaemonMetrics metrics, ILogger<RingReport> logger)
{
    /// <summary>An attempt planned: who was left out, and why.</summary>
    public void Planned(ICall call, RingGroupAttempt plan)
    {
        foreach (var excluded in plan.Excluded)
        {
            LogExcluded(logger, call.Uuid, excluded.DeviceId, excluded.Reason);
        }
        if (plan.BeyondLegLimit.Count > 0)
        {
            LogBeyondLegLimit(logger, call.Uuid, plan.Legs.Count + plan.BeyondLegLimit.Count, DialString.MaxLegs,
                string.Join(", ", plan.BeyondLegLimit.Select(e => e.DeviceId)));
        }
    }

    public void NobodyToRing(ICall call, FlowNode node, int attempt, RingGroupData data, RingGroupAttempt plan)
    {
        call.Record.Ringing(attempt, node.Module, Strategy(data), [], LeftOutOf(plan));
        LogNobodyToRing(logger, call.Uuid);
        call.Decide(metrics, node.Module, "nobody_to_ring");
    }

    /// <summary>Before the bridge is sent: the log line with the dial string.</summary>
    public void Ringing(ICall call, int attempt, RingGroupData data, RingGroupAttempt plan) =>
        LogRinging(logger, call.Uuid, attempt, data.Repeats, plan.Legs.Count, plan.DialString!);

    /// <summary>Once the bridge is on its way: the record never delays the bridge.</summary>
    public static void Rung(ICall call, FlowNode node, int attempt, RingGroupData data, RingGroupAttempt plan) =>
        call.Record.Ringing(attempt, node.Module, Strategy(data), [.. plan.Legs.Select(l => l.Device.Id)], LeftOutOf(plan));

    /// <summary>How an attempt ended; a not-answered attempt decides nothing yet (repeats and children come first).</summary>
    public void Ended(ICall call, FlowNode node, int attempt, RingEnd end)
    {
        switch (end)
        {
            case RingEnd.Answered answered:
                LogAnswered(logger, call.Uuid, answered.Device, answered.Leg, answered.Rang.TotalSeconds);
                call.Decide(metrics, node.Module, "answered");
                call.Record.Answered(answered.Device, answered.Leg, answered.Rang.TotalSeconds);
                break;
            case RingEnd.PickedUp picked:
                LogPickedUp(logger, call.Uuid, picked.Picker, picked.PickerLeg ?? "unknown");
                call.Decide(metrics, node.Module, "picked_up");
                call.Record.PickedUp(picked.Picker, picked.PickerLeg, picked.FromDevice);
                break;
            case RingEnd.CallerGone:
                Missed(call, node, "ORIGINATOR_CANCEL");
                break;
            case RingEnd.NotAnswered missed:
                LogAttemptFailed(logger, call.Uuid, attempt, missed.Cause);
                break;
        }
    }

    public void TalkEnded(ICall call, string device, TalkEnd talk)
    {
        LogCallEnded(logger, call.Uuid, talk.Seconds, device, talk.HungUpBy, talk.Cause);
        call.Record.TalkEnded(talk.Seconds, talk.HungUpBy, talk.Cause);
    }

    public void Missed(ICall call, FlowNode node, string cause)
    {
        LogMissed(logger, call.Uuid, cause);
        call.Decide(metrics, node.Module, "missed");
        call.Record.Missed(cause);
    }

    private static string Strategy(RingGroupData data) => JsonNamingPolicy.SnakeCaseLower.ConvertName(data.Strategy.ToString());

    private static LeftOut[] LeftOutOf(RingGroupAttempt plan) => [.. plan.Excluded.Select(e => new LeftOut(e.DeviceId, e.Reason))];

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Call {CallUuid}: device {DeviceId} not rung: {Reason}")]
    private static partial void LogExcluded(ILogger logger, string callUuid, string deviceId, string reason);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Error, Message = "Call {CallUuid}: the ring group resolves to {DeviceCount} devices and one bridge rings at most {MaxLegs}; not rung: {DevicesLeftOut}")]
    private static partial void LogBeyondLegLimit(ILogger logger, string callUuid, int deviceCount, int maxLegs, string devicesLeftOut);

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
