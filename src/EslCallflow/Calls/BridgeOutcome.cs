using EslCallflow.Esl.Messages;

namespace EslCallflow.Calls;

/// <summary>What a bridge's CHANNEL_EXECUTE_COMPLETE says: answered, or the cause it failed with.</summary>
public sealed record BridgeOutcome(bool Answered, string Cause, string? AnsweredLeg)
{
    public static BridgeOutcome From(EslEvent completion)
    {
        var disposition = completion.GetVariable("originate_disposition");
        var bridgedTo = completion.GetVariable("last_bridge_to") ?? completion.GetVariable("bridge_uuid");
        if (disposition == "SUCCESS" || (disposition is null && bridgedTo is not null))
        {
            return new BridgeOutcome(true, "NORMAL_CLEARING", bridgedTo);
        }
        var cause = completion.GetVariable("originate_failed_cause")
            ?? (disposition is not null and not "failure" ? disposition : null)
            ?? completion.HangupCause
            ?? "NO_ANSWER";
        return new BridgeOutcome(false, cause, null);
    }
}
