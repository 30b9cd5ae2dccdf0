namespace EslCallflow.Records;

/// <summary>The events a call's record goes out as (webhooks subscribe to these names).</summary>
public static class CallEventType
{
    public const string Started = "call.started";
    public const string Ringing = "call.ringing";
    public const string Answered = "call.answered";
    public const string PickedUp = "call.picked_up";
    public const string Missed = "call.missed";
    public const string PickupRefused = "call.pickup_refused";
    public const string NothingToPickUp = "call.nothing_to_pick_up";
    public const string PickupUnknownTarget = "call.pickup_unknown_target";
    public const string Ended = "call.ended";

    public static readonly IReadOnlyList<string> All = [Started, Ringing, Answered, PickedUp, Missed, PickupRefused, NothingToPickUp, PickupUnknownTarget, Ended];
}
