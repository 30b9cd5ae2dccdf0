using EslCallflow.Callflows;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl.Outbound;
using EslCallflow.Metrics;
using EslCallflow.Records;

namespace EslCallflow.Calls;

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
