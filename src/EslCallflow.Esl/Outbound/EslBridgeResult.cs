using EslCallflow.Esl.Messages;

namespace EslCallflow.Esl.Outbound;

/// <summary>
/// How a <see cref="EslOutboundSession.BridgeAsync"/> or <see cref="EslOutboundSession.InterceptAsync"/> ended, read
/// from the application's CHANNEL_EXECUTE_COMPLETE. Nobody answering is a result, not an exception:
/// <see cref="Answered"/> is false and <see cref="HangupCause"/> says why.
/// </summary>
public sealed class EslBridgeResult
{
    private EslBridgeResult(EslEvent completion) => Completion = completion;

    /// <summary>
    /// The channel was bridged to <see cref="OtherLeg"/>: a callee answered the bridge (whose conversation is over
    /// by the time it completes), or the intercept took the leg.
    /// </summary>
    public bool Answered { get; private init; }

    /// <summary>
    /// The bridge's <c>originate_disposition</c> as FreeSWITCH set it: <c>SUCCESS</c>, or the cause the call rang out
    /// with (<c>NO_ANSWER</c>, <c>USER_BUSY</c>, <c>ORIGINATOR_CANCEL</c> when the caller hung up or the ringing call was
    /// intercepted, ...), or <c>failure</c> when every leg failed. Null when it set none (an intercept).
    /// </summary>
    public string? Disposition { get; private init; }

    /// <summary>
    /// Why it ended: for a bridge not answered, the cause it failed with; for an answered one, the cause its
    /// conversation ended with. For an intercept, the channel's hangup cause, if it is hung up.
    /// </summary>
    public string? HangupCause { get; private init; }

    /// <summary>
    /// The leg the channel was bridged to: the callee who answered, the leg intercepted, or, for a bridge not
    /// answered, the leg it is bridged to now (whoever intercepted it while it rang), if any.
    /// </summary>
    public string? OtherLeg { get; private init; }

    /// <summary>The CHANNEL_EXECUTE_COMPLETE itself, for anything else it says (channel variables, Answer-State).</summary>
    public EslEvent Completion { get; }

    /// <summary>
    /// A bridge's completion. switch_ivr_originate.c sets <c>originate_disposition</c> on the caller (the cause as
    /// <c>switch_channel_cause2str</c> names it, or <c>failure</c>) and <c>originate_failed_cause</c> when it fails;
    /// switch_ivr_bridge.c sets <c>last_bridge_to</c> and <c>bridge_uuid</c> to the leg bridged, and
    /// switch_channel.c (<c>switch_channel_perform_hangup</c>) the partner's <c>last_bridge_hangup_cause</c>.
    /// </summary>
    internal static EslBridgeResult FromBridge(EslEvent completion)
    {
        var disposition = completion.GetVariable("originate_disposition");
        var bridgedTo = completion.GetVariable("last_bridge_to") ?? completion.GetVariable("bridge_uuid");
        var answered = string.Equals(disposition, "SUCCESS", StringComparison.OrdinalIgnoreCase) || (disposition is null && bridgedTo is not null);
        if (answered)
        {
            var ended = completion.GetVariable("last_bridge_hangup_cause") ?? completion.GetVariable("bridge_hangup_cause") ?? completion.HangupCause;
            return new EslBridgeResult(completion) { Answered = true, Disposition = disposition, HangupCause = ended ?? "NORMAL_CLEARING", OtherLeg = bridgedTo };
        }
        var failed = completion.GetVariable("originate_failed_cause")
            ?? (string.Equals(disposition, "failure", StringComparison.OrdinalIgnoreCase) ? null : disposition)
            ?? completion.HangupCause;
        return new EslBridgeResult(completion)
        {
            Disposition = disposition,
            HangupCause = failed ?? "NO_ANSWER",
            OtherLeg = completion.GetVariable("bridge_uuid") ?? completion.OtherLegUniqueId,
        };
    }

    /// <summary>
    /// An intercept's completion: switch_ivr_uuid_bridge (switch_ivr_bridge.c) sets <c>bridge_uuid</c> and
    /// <c>signal_bond</c> on the intercepting channel before intercept returns; a refused intercept leaves both
    /// unset (switch_ivr_intercept_session returns without a word).
    /// </summary>
    internal static EslBridgeResult FromIntercept(EslEvent completion)
    {
        var bridgedTo = completion.GetVariable("bridge_uuid") ?? completion.GetVariable("signal_bond");
        var taken = string.IsNullOrEmpty(bridgedTo) ? null : bridgedTo;
        return new EslBridgeResult(completion) { Answered = taken is not null, HangupCause = completion.HangupCause, OtherLeg = taken };
    }

    public override string ToString() =>
        Answered ? $"answered by {OtherLeg} ({HangupCause})" : $"not answered ({HangupCause})";
}
