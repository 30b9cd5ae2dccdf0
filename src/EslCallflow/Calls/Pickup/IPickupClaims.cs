namespace EslCallflow.Calls.Pickup;

/// <summary>
/// FreeSWITCH's <c>intercept</c> has no guard against two pickers taking the same call, so a picker claims
/// the call first and exactly one claim wins (docs/behaviour.md group_pickup rule 7). A won pickup stays recorded
/// briefly so the ring group whose call it was can say who picked it up. A seam: pickers on several daemons need
/// one store of claims between them.
/// </summary>
public interface IPickupClaims
{
    /// <summary>
    /// Claims the call for this picker. The claim names the picker at once: the ring group hears of the pickup
    /// (its bridge completing with PICKED_OFF) before the picker's own CHANNEL_BRIDGE arrives.
    /// </summary>
    bool TryClaim(string callKey, string pickerUuid, string pickerName, string? fromDevice = null);

    /// <summary>Gives up this picker's claim (its intercept took nothing); another claim is left alone.</summary>
    void Release(string callKey, string pickerUuid);

    /// <summary>Keeps a won claim for a while, so late pickers skip the call until the feed shows it gone.</summary>
    void Won(string callKey, string pickerUuid, string pickerName, string? fromDevice = null);

    /// <summary>Who picked up the call whose caller leg is <paramref name="callerUuid"/>, if a pickup won it.</summary>
    string? PickedUpBy(string callerUuid);

    /// <summary>The picker's own call that took the call whose caller leg is <paramref name="callerUuid"/>, if a pickup won it.</summary>
    string? PickerCallOf(string callerUuid);

    /// <summary>The device the call whose caller leg is <paramref name="callerUuid"/> was ringing on when a pickup took it.</summary>
    string? PickedUpFrom(string callerUuid);
}
