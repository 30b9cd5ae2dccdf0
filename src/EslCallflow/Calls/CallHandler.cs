using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl;
using EslCallflow.Esl.Outbound;
using EslCallflow.Configuration;
using EslCallflow.Metrics;
using EslCallflow.Records;
using Microsoft.Extensions.Logging;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls;

/// <summary>
/// Runs one call's callflow on its outbound session: find the caller and the callflow, then walk the flow,
/// each node run by its module (Calls/Modules, one file each, as KAZOO's cf_&lt;module&gt;.erl). Anything that
/// goes wrong ends this call cleanly and never touches another.
/// </summary>
public sealed partial class CallHandler
{
    private const int MaxFlowSteps = 32;
    private readonly CallflowConfigurationStore _store;
    private readonly CallflowModules _modules;
    private readonly DaemonMetrics _metrics;
    private readonly CallRecords _records;
    private readonly ILogger<CallHandler> _logger;
    private readonly PhoneRoute? _phoneRoute;

    /// <param name="phoneRoute">Several switches: how legs reach phones through the proxy (none for one switch alone).</param>
    public CallHandler(CallflowConfigurationStore store, CallflowModules modules, DaemonMetrics metrics, CallRecords records, ILogger<CallHandler> logger, PhoneRoute? phoneRoute = null)
    {
        _phoneRoute = phoneRoute;
        _store = store;
        _records = records;
        _modules = modules;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task HandleAsync(EslOutboundSession session, CancellationToken stopping)
    {
        var config = _store.Current;
        var channel = session.ChannelData;
        var number = channel["Caller-Destination-Number"] ?? channel["Channel-Destination-Number"] ?? string.Empty;
        var caller = new CallerContext(CallerIdentity.Find(config, channel))
        {
            PhoneRoute = _phoneRoute,
            // Exactly "true": continue_on_fail may also list causes, and a ring group goes on after any of them.
            BridgeSettingsSet = channel["variable_continue_on_fail"] == "true" && channel["variable_hangup_after_bridge"] == "true",
            CallerIdName = channel["Caller-Caller-ID-Name"],
            CallerIdNumber = channel["Caller-Caller-ID-Number"],
        };
        using var scope = _logger.BeginScope(new KeyValuePair<string, object>[] { new("CallUuid", session.UniqueId), new("Number", number) });

        var match = config.MatchCallflow(number);
        var record = _records.Start(session.UniqueId, number, match?.Callflow.Id, caller.Device, channel["Caller-Caller-ID-Name"], channel["Caller-Caller-ID-Number"]);
        if (match is not { Callflow: var callflow })
        {
            LogUnallocated(_logger, number, session.UniqueId);
            _metrics.CallEnded("unallocated");
            try
            {
                await session.HangupAsync("UNALLOCATED_NUMBER", stopping).ConfigureAwait(false);
            }
            finally
            {
                record.Ended("unallocated", "UNALLOCATED_NUMBER", CallEnding.Daemon);
            }
            return;
        }
        LogStarted(_logger, session.UniqueId, number, callflow.Id, caller.Device?.Id ?? "external");

        var call = new CallContext(session, config, caller, number, match.Captures, record);
        string? failed = null;
        try
        {
            await RunFlowAsync(call, callflow.Flow, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is EslConnectionClosedException && session.CallEnded.IsCancellationRequested)
        {
            LogCallGone(_logger, session.UniqueId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFlowFailed(_logger, ex, session.UniqueId, number, ex.Message);
            failed = "error";
            await SessionActions.TryHangupAsync(session, "NORMAL_TEMPORARY_FAILURE", stopping).ConfigureAwait(false);
        }
        finally
        {
            // One outcome per call, whatever its flow ran: a failure, else the last module's decision, else how it ended.
            var outcome = failed ?? call.Outcome.Decided ?? Undecided(session, stopping);
            _metrics.CallEnded(outcome);
            var (cause, hungUpBy) = CallEnding.Describe(outcome, record.Current, session.HangupCause);
            record.Ended(outcome, cause, hungUpBy);
        }
    }

    /// <summary>The outcome of a flow no module decided (play, callflow jumps, a caller gone in between).</summary>
    private static string Undecided(EslOutboundSession session, CancellationToken stopping) =>
        session.CallEnded.IsCancellationRequested ? "caller_gone"
        : stopping.IsCancellationRequested ? "stopped"
        : "completed";

    private async Task RunFlowAsync(CallContext call, FlowNode start, CancellationToken stopping)
    {
        var session = call.Session;
        FlowNode? node = start;
        for (var step = 0; node is not null; step++)
        {
            if (step >= MaxFlowSteps)
            {
                LogTooManySteps(_logger, session.UniqueId, MaxFlowSteps);
                call.Outcome.Decide("error");
                await SessionActions.TryHangupAsync(session, "NORMAL_TEMPORARY_FAILURE", stopping).ConfigureAwait(false);
                return;
            }
            if (session.CallEnded.IsCancellationRequested)
            {
                return;
            }
            using var moduleScope = _logger.BeginScope(new KeyValuePair<string, object>[] { new("Module", node.Module) });
            node = await RunNodeAsync(call, node, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one module; returns the next node, or null when the call is done.</summary>
    private async Task<FlowNode?> RunNodeAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        if (node.Parsed is IModuleData { SkipModule: true })
        {
            LogSkipped(_logger, call.Uuid, node.Module);
            return node.Child(FlowNode.DefaultChild);
        }
        var module = _modules.Find(node.Module) ?? throw new InvalidOperationException($"module '{node.Module}' has no runner");
        return await module.RunAsync(call, node, stopping).ConfigureAwait(false);
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
