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
