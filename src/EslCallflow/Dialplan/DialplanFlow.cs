using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Calls;
using EslCallflow.Calls.Pickup;
using EslCallflow.Calls.Ringing;
using EslCallflow.Metrics;

namespace EslCallflow.Dialplan;

/// <summary>
/// A call's flow as dialplan XML: walks the nodes from where the call is, each module adding the applications it
/// runs on the socket path (<see cref="CallCommands"/>, the planners' commands), until a module whose next step
/// depends on a result (a ring attempt, an intercept), which is followed by a <c>transfer</c> into
/// <see cref="DialplanOptions.NextContext"/> so that the next fetch carries the result; or until the flow ends. What
/// each step decides is told through the same reports as on the socket path (<see cref="CallReport"/>,
/// <see cref="RingReport"/>, <see cref="PickupRunner"/>), so logs, records and metrics are the same.
/// </summary>
public sealed partial class DialplanFlow
{
    private readonly BridgeWatcher _watcher;
    private readonly IPickupClaims _claims;
    private readonly DaemonMetrics _metrics;
    private readonly CallReport _report;
    private readonly RingReport _ring;
    private readonly PickupRunner _pickup;
    private readonly RingMemory _memories;
    private readonly TimeProvider _time;
    private readonly CallflowModules _modules;

    public DialplanFlow(BridgeWatcher watcher, IPickupClaims claims, DaemonMetrics metrics, CallReport report, RingReport ring, RingMemory memories, PickupRunner pickup, TimeProvider time, CallflowModules modules)
    {
        _modules = modules;
        _memories = memories;
        _watcher = watcher;
        _claims = claims;
        _metrics = metrics;
        _report = report;
        _ring = ring;
        _pickup = pickup;
        _time = time;
    }

    /// <summary>The XML for a call that goes on at <paramref name="start"/>; <paramref name="answered"/>: the channel is answered already.</summary>
    internal DialplanStep Walk(DialplanCall call, FlowPosition? start, bool answered) => Walk(call, start, answered, []);

    private DialplanStep Walk(DialplanCall call, FlowPosition? start, bool answered, List<PlannedCommand> commands)
    {
        for (var position = start; position is { } at; call.Steps++)
        {
            if (call.Steps >= CallReport.MaxFlowSteps)
            {
                _report.TooManySteps(call.Uuid);
                call.Outcome.Decide("error");
                commands.Add(CallCommands.Hangup("NORMAL_TEMPORARY_FAILURE"));
                return new DialplanStep(commands, StepEnd.CallEnds);
            }
            var node = at.Node;
            if (node.Parsed is IModuleData { SkipModule: true })
            {
                _report.Skipped(call.Uuid, node.Module);
                position = at.Child(FlowNode.DefaultChild);
                continue;
            }
            switch (node.Parsed)
            {
                case RingGroupData ring:
                    if (Ring(call, at, ring, 1, call.MemoryOf(ring), commands, out position) is { } ringStep)
                    {
                        return ringStep;
                    }
                    break;
                case RingTargetData target:
                    var rings = target.Rings;
                    if (Ring(call, at, rings, 1, call.MemoryOf(rings), commands, out position) is { } targetStep)
                    {
                        return targetStep;
                    }
                    break;
                case IPickupData pickup:
                    return StartPickup(call, at, pickup, answered, commands);
                default:
                    // Every other module's step is its runner's, as the socket path runs it (ModuleStep).
                    var step = _modules.Find(node.Module)?.Step(call, node, answered)
                        ?? throw new InvalidOperationException($"module '{node.Module}' has no dialplan step");
                    commands.AddRange(step.Commands);
                    answered |= step.Answers;
                    if (step.Outcome is { } outcome)
                    {
                        call.Decide(_metrics, node.Module, outcome);
                    }
                    if (step.HangupCause is { } cause)
                    {
                        commands.Add(CallCommands.Hangup(cause));
                        return new DialplanStep(commands, StepEnd.CallEnds);
                    }
                    if (step.HandsOver)
                    {
                        return new DialplanStep(commands, StepEnd.HandedOver);
                    }
                    position = step.Jump is { } jumped ? FlowPosition.Root(jumped) : step.Child is { } child ? at.Child(child) : null;
                    break;
            }
        }
        // The flow is over: FreeSWITCH ends the call once the extension has run, as it does after `socket` returns.
        return new DialplanStep(commands, StepEnd.CallEnds);
    }

    /// <summary>A SIP final response (<see cref="CallCommands.Respond"/>), then hangup, as SessionActions.RespondAsync does on a socket.</summary>
    private static void Respond(List<PlannedCommand> commands, int code, string reason, string? media, bool answered)
    {
        commands.AddRange(CallCommands.Respond(code, reason, media, answered));
        commands.Add(CallCommands.Hangup("NORMAL_CLEARING"));
    }

    /// <summary>Whether the channel that fetched is answered (intercept's early answer and ring_ready's 180 are not).</summary>
    internal static bool IsAnswered(DialplanFetch fetch) => fetch.Channel.AnswerState == "answered";

    /// <summary>The transfer that brings the call back to the daemon, in its own context, once the result is known.</summary>
    private static PlannedCommand Continuation(ContinuationToken token) =>
        CallCommands.Transfer(token.Encode(), "XML", DialplanOptions.NextContext);
}
