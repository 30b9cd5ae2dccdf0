using EslCallflow.Esl.Messages;

namespace EslCallflow.Calls;

/// <summary>How a ring group's bridge ended, read from its CHANNEL_EXECUTE_COMPLETE.</summary>
public enum BridgeResult
{
    Answered,
    /// <summary>Someone intercepted the call (group_pickup): the caller is now talking to the picker.</summary>
    PickedUp,
    Failed,
}

/// <summary>What a bridge's CHANNEL_EXECUTE_COMPLETE says: answered, picked up, or the cause it failed with.</summary>
public sealed record BridgeOutcome(BridgeResult Result, string Cause, string? OtherLeg)
{
    public bool Answered => Result == BridgeResult.Answered;

    public static BridgeOutcome From(EslEvent completion)
    {
        var disposition = completion.GetVariable("originate_disposition");
        var bridgedTo = completion.GetVariable("last_bridge_to") ?? completion.GetVariable("bridge_uuid");
        // After a pickup the bridge still completes, with PICKED_OFF, while the caller is answered and
        // bridged to the picker (events-pickup-json.txt).
        if (disposition == "PICKED_OFF" || (completion.GetVariable("originate_failed_cause") == "PICKED_OFF" && completion.AnswerState == "answered"))
        {
            return new BridgeOutcome(BridgeResult.PickedUp, "PICKED_OFF", completion.GetVariable("bridge_uuid") ?? completion.OtherLegUniqueId);
        }
        if (disposition == "SUCCESS" || (disposition is null && bridgedTo is not null))
        {
            return new BridgeOutcome(BridgeResult.Answered, "NORMAL_CLEARING", bridgedTo);
        }
        var cause = completion.GetVariable("originate_failed_cause")
            ?? (disposition is not null and not "failure" ? disposition : null)
            ?? completion.HangupCause
            ?? "NO_ANSWER";
        return new BridgeOutcome(BridgeResult.Failed, cause, null);
    }
}
