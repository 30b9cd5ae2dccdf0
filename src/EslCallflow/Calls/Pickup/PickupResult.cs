using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Calls.Pickup;

/// <summary>How a pickup attempt ended, for logs and metrics.</summary>
public enum PickupOutcome
{
    PickedUp,
    Refused,
    NothingToPickUp,
    CallerGone,
    /// <summary>A directed pickup named nothing known (no such extension or SIP user).</summary>
    UnknownTarget,
    /// <summary>The call rings on another node: the picker was moved there, where the pickup runs (several switches).</summary>
    MovedToNode,
}

/// <summary>How a pickup ended, and for a success the caller's leg taken and the device it was ringing on.</summary>
public sealed record PickupResult(PickupOutcome Outcome, string? PickedCallUuid = null, string? FromDeviceId = null, int? SipCode = null)
{
    /// <summary>The outcome's name in metrics, the call's outcome and its record.</summary>
    public string Name => Outcome switch
    {
        PickupOutcome.PickedUp => "picked_up",
        PickupOutcome.Refused => "refused",
        PickupOutcome.NothingToPickUp => "nothing_to_pick_up",
        PickupOutcome.UnknownTarget => "unknown_target",
        PickupOutcome.MovedToNode => "moved_to_node",
        _ => "caller_gone",
    };
}

/// <summary>A SIP response a pickup ends with (refused, no such target, nothing to pick up): what the picker is told, and how it is counted.</summary>
public sealed record PickupRefusal(PickupResult Result, int Code, string Reason, string? Media);

/// <summary>A pickup's first decision: a refusal, or the target it may take a call from.</summary>
public sealed record PickupStart(PickupRefusal? Refusal, DirectedPickupTarget? Target);

/// <summary>A call claimed for a picker: the candidate, the guard its intercept runs behind, and the picker's name.</summary>
internal sealed record PickupClaim(PickupCandidate Candidate, InterceptGuard Guard, string PickerName)
{
    /// <summary>What the picker's channel runs: the guard, then <c>intercept</c>.</summary>
    public IReadOnlyList<PlannedCommand> Commands => [.. Guard.Commands, CallCommands.Intercept(Candidate.InterceptArgument)];
}
