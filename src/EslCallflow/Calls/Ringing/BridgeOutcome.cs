using System.Globalization;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Calls.Ringing;

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

    /// <summary>
    /// For an answered bridge, how long the conversation lasted by FreeSWITCH's clock: from the caller's
    /// <c>Caller-Channel-Bridged-Time</c> (set when the legs were joined, switch_channel_set_bridge_time) to the
    /// completion's <c>Event-Date-Timestamp</c>, both in microseconds. Null when either is missing or zero.
    /// </summary>
    public double? TalkSeconds { get; init; }

    public static BridgeOutcome From(EslEvent completion)
    {
        var disposition = completion.GetVariable("originate_disposition");
        var bridgedTo = completion.GetVariable("last_bridge_to") ?? completion.GetVariable("bridge_uuid");
        if (IsPickedUp(completion, disposition))
        {
            return new BridgeOutcome(BridgeResult.PickedUp, "PICKED_OFF", completion.GetVariable("bridge_uuid") ?? completion.OtherLegUniqueId);
        }
        if (disposition == "SUCCESS" || (disposition is null && bridgedTo is not null))
        {
            return new BridgeOutcome(BridgeResult.Answered, "NORMAL_CLEARING", bridgedTo) { TalkSeconds = TalkSecondsOf(completion) };
        }
        var cause = completion.GetVariable("originate_failed_cause")
            ?? (disposition is not null and not "failure" ? disposition : null)
            ?? completion.HangupCause
            ?? "NO_ANSWER";
        return new BridgeOutcome(BridgeResult.Failed, cause, null);
    }

    /// <summary>
    /// An intercept of the caller ends its bridge as a cancelled originate (ORIGINATOR_CANCEL on a real 1.10.12,
    /// outbound-ringgroup-pickedup-json.txt; PICKED_OFF in older captures) while the caller stays up: intercept
    /// answers it and <c>switch_ivr_uuid_bridge</c> (switch_ivr_bridge.c) sets <c>bridge_uuid</c> to the picker
    /// before the bridge application returns. A caller who hung up instead completes with Answer-State hangup.
    /// </summary>
    private static bool IsPickedUp(EslEvent completion, string? disposition)
    {
        var cancelled = disposition is "PICKED_OFF" or "ORIGINATOR_CANCEL"
            || completion.GetVariable("originate_failed_cause") is "PICKED_OFF" or "ORIGINATOR_CANCEL";
        return cancelled
            && completion.AnswerState == "answered"
            && !string.IsNullOrEmpty(completion.GetVariable("bridge_uuid") ?? completion.OtherLegUniqueId);
    }

    private static double? TalkSecondsOf(EslEvent completion)
    {
        return long.TryParse(completion["Caller-Channel-Bridged-Time"], NumberStyles.None, CultureInfo.InvariantCulture, out var bridged)
            && long.TryParse(completion["Event-Date-Timestamp"], NumberStyles.None, CultureInfo.InvariantCulture, out var at)
            && bridged > 0 && at >= bridged
                ? (at - bridged) / 1_000_000.0
                : null;
    }
}
