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
public sealed class CallHandler
{
    private readonly CallflowConfigurationStore _store;
    private readonly CallflowModules _modules;
    private readonly DaemonMetrics _metrics;
    private readonly CallReport _report;
    private readonly CallRecords _records;
    private readonly ILogger<CallHandler> _logger;
    private readonly PhoneRoute? _phoneRoute;

    /// <param name="phoneRoute">Several switches: how legs reach phones through the proxy (none for one switch alone).</param>
    public CallHandler(CallflowConfigurationStore store, CallflowModules modules, DaemonMetrics metrics, CallReport report, CallRecords records, ILogger<CallHandler> logger, PhoneRoute? phoneRoute = null)
    {
        _metrics = metrics;
        _phoneRoute = phoneRoute;
        _store = store;
        _records = records;
        _modules = modules;
        _report = report;
        _logger = logger;
    }

    public async Task HandleAsync(EslOutboundSession session, CancellationToken stopping)
    {
        var config = _store.Current;
        var channel = session.ChannelData;
        var number = channel["Caller-Destination-Number"] ?? channel["Channel-Destination-Number"] ?? string.Empty;
        var caller = CallReport.CallerOf(config, channel) with { PhoneRoute = _phoneRoute };
        using var scope = _logger.BeginScope(new KeyValuePair<string, object>[] { new("CallUuid", session.UniqueId), new("Number", number) });

        var match = config.MatchCallflow(number);
        var record = _records.Start(session.UniqueId, number, match?.Callflow.Id, caller.Device, channel["Caller-Caller-ID-Name"], channel["Caller-Caller-ID-Number"]);
        if (match is not { Callflow: var callflow })
        {
            _report.Unallocated(session.UniqueId, number);
            try
            {
                await session.HangupAsync("UNALLOCATED_NUMBER", stopping).ConfigureAwait(false);
            }
            finally
            {
                _report.Ended(record, "unallocated", "UNALLOCATED_NUMBER");
            }
            return;
        }
        _report.Started(session.UniqueId, number, callflow.Id, caller);

        var call = new CallContext(session, config, caller, number, match.Captures, record);
        string? failed = null;
        try
        {
            await RunFlowAsync(call, callflow.Flow, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is EslConnectionClosedException && session.CallEnded.IsCancellationRequested)
        {
            _report.CallGone(session.UniqueId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _report.FlowFailed(ex, session.UniqueId, number);
            failed = "error";
            await SessionActions.TryHangupAsync(session, "NORMAL_TEMPORARY_FAILURE", stopping).ConfigureAwait(false);
        }
        finally
        {
            // One outcome per call, whatever its flow ran: a failure, else the last module's decision, else how it ended.
            _report.Ended(record, failed ?? call.Outcome.Decided ?? Undecided(session, stopping), session.HangupCause);
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
            if (step >= CallReport.MaxFlowSteps)
            {
                _report.TooManySteps(session.UniqueId);
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
            _report.Skipped(call.Uuid, node.Module);
            return node.Child(FlowNode.DefaultChild);
        }
        var module = _modules.Find(node.Module) ?? throw new InvalidOperationException($"module '{node.Module}' has no runner");
        return module.Step(call, node, call.Session.IsAnswered) is { } step
            ? await SessionActions.RunStepAsync(call, node, step, _metrics, stopping).ConfigureAwait(false)
            : await module.RunAsync(call, node, stopping).ConfigureAwait(false);
    }
}
