using EslCallflow.Callflows;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Metrics;
using EslCallflow.Records;

namespace EslCallflow.Calls;

/// <summary>
/// A call the daemon runs, whichever way FreeSWITCH handed it over (its outbound socket, <see cref="CallContext"/>;
/// a dialplan fetch, Dialplan.DialplanCall): what the modules' reports need of it, so that a call's log lines, record
/// and metrics are the same on both.
/// </summary>
public interface ICall
{
    string Uuid { get; }

    /// <summary>The configuration the call started with.</summary>
    PbxConfiguration Config { get; }

    CallerContext Caller { get; }

    /// <summary>The number dialled.</summary>
    string Number { get; }

    /// <summary>What the callflow's pattern captured from <see cref="Number"/>.</summary>
    IReadOnlyList<string> Captures { get; }

    CallRecorder Record { get; }

    /// <summary>How the call ended, as far as the modules that ran have decided it.</summary>
    CallOutcome Outcome { get; }

    /// <summary>A module's outcome: counted for the module, and the call's outcome unless a later module decides another.</summary>
    void Decide(DaemonMetrics metrics, string module, string outcome);
}
