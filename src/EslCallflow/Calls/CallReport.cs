using EslCallflow.Callflows;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl.Messages;
using EslCallflow.Metrics;
using EslCallflow.Records;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Calls;

/// <summary>
/// What a call's flow does, told once for both ways in (the socket's <see cref="CallHandler"/>, the dialplan's
/// Dialplan.DialplanCalls): who calls, its start, what stops its flow, and its one outcome at the end.
/// </summary>
public sealed partial class CallReport(DaemonMetrics metrics, ILogger<CallReport> logger)
{
    /// <summary>A flow that runs more nodes than this is taken for a loop and ended.</summary>
    public const int MaxFlowSteps = 32;

    /// <summary>
    /// docs/behaviour.md "Which device is calling", from the channel's data; and whether its dialplan already set the
    /// bridge settings a ring group needs (exactly "true": continue_on_fail may also list causes, and a ring group goes
    /// on after any of them).
    /// </summary>
    public static CallerContext CallerOf(PbxConfiguration config, EslEvent channel) => new(CallerIdentity.Find(config, channel))
    {
        BridgeSettingsSet = channel.GetVariable("continue_on_fail") == "true" && channel.GetVariable("hangup_after_bridge") == "true",
        CallerIdName = channel["Caller-Caller-ID-Name"],
        CallerIdNumber = channel["Caller-Caller-ID-Number"],
    };

    public void Unallocated(string callUuid, string number) => LogUnallocated(logger, number, callUuid);

    public void Started(string callUuid, string number, string callflowId, CallerContext caller) =>
        LogStarted(logger, callUuid, number, callflowId, caller.Device?.Id ?? "external");

    public void FlowFailed(Exception ex, string callUuid, string number) => LogFlowFailed(logger, ex, callUuid, number, ex.Message);

    public void CallGone(string callUuid) => LogCallGone(logger, callUuid);

    public void Skipped(string callUuid, string module) => LogSkipped(logger, callUuid, module);

    public void TooManySteps(string callUuid) => LogTooManySteps(logger, callUuid, MaxFlowSteps);

    /// <summary>The call is over: its one outcome counted, its record ended with how it ended.</summary>
    public void Ended(CallRecorder record, string outcome, string? hangupCause)
    {
        metrics.CallEnded(outcome);
        var (cause, hungUpBy) = CallEnding.Describe(outcome, record.Current, hangupCause);
        record.Ended(outcome, cause, hungUpBy);
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

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Call {CallUuid}: flow exceeded {MaxSteps} steps (callflow loop?); ending the call")]
    private static partial void LogTooManySteps(ILogger logger, string callUuid, int maxSteps);
}
