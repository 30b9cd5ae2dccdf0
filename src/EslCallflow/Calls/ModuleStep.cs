using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Calls;

/// <summary>
/// What a module runs on a call, the same whichever way the call came in: the applications FreeSWITCH runs for it,
/// in order (<see cref="CallCommands"/>), then where the flow goes. The outbound socket sends the commands on the
/// call's session (<see cref="SessionActions.RunStepAsync"/>); the dialplan fast path writes them into the XML it
/// answers the call's fetch with (Dialplan.DialplanFlow). A module whose next step waits on a result (ringing, a
/// pickup, a toggle) has no step: each way in runs it over the shared pieces of Calls/Ringing and Calls/Pickup.
/// </summary>
public sealed record ModuleStep(IReadOnlyList<PlannedCommand> Commands)
{
    /// <summary>The child the flow goes on with, by its key; with no <see cref="Jump"/> either, the flow is over.</summary>
    public string? Child { get; init; }

    /// <summary>The callflow whose flow the call goes on with.</summary>
    public Callflow? Jump { get; init; }

    /// <summary>The call is hung up with this cause after the commands; the flow is over.</summary>
    public string? HangupCause { get; init; }

    /// <summary>The commands hand the call to something else (a transfer): the call is over for the daemon.</summary>
    public bool HandsOver { get; init; }

    /// <summary>The module's outcome: counted, and the call's outcome unless a later module decides another.</summary>
    public string? Outcome { get; init; }

    /// <summary>Whether the commands answer the call (what a later module's step is planned with).</summary>
    public bool Answers => Commands.Contains(CallCommands.Answer);
}
