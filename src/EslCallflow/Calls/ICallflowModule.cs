using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl.Outbound;
using EslCallflow.Operations;
using EslCallflow.Records;

namespace EslCallflow.Calls;

/// <summary>
/// One callflow module at run time, as KAZOO's <c>cf_&lt;module&gt;.erl</c>: it acts on the call with the node's
/// data (parsed and validated when the documents loaded) and says where the flow goes next.
/// </summary>
public interface ICallflowModule
{
    /// <summary>The <c>module</c> name in callflow documents.</summary>
    string Name { get; }

    /// <summary>Runs the module; returns the next node (usually a child of <paramref name="node"/>), or null when the call is done.</summary>
    Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping);
}

/// <summary>
/// What every module knows of the call it runs on: its session, the configuration it started with, who is
/// calling, the number dialled and what the callflow's pattern captured from it.
/// </summary>
public sealed record CallContext(EslOutboundSession Session, PbxConfiguration Config, CallerContext Caller, string Number, IReadOnlyList<string> Captures, CallRecorder Record)
{
    public string Uuid => Session.UniqueId;

    /// <summary>How the call ended, as far as the modules that ran have decided it.</summary>
    public CallOutcome Outcome { get; } = new();

    /// <summary>A module's outcome: counted for the module, and the call's outcome unless a later module decides another.</summary>
    public void Decide(DaemonMetrics metrics, string module, string outcome)
    {
        metrics.ModuleEnded(module, outcome);
        Outcome.Decide(outcome);
        Record.Decided(outcome);
    }
}
