using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Calls.Pickup;

/// <summary>
/// Which of intercept's two guards keeps a pickup from stealing a call answered meanwhile, and how to read
/// whether the intercept bridged anything.
/// </summary>
/// <remarks>
/// switch_ivr_intercept_session (switch_ivr_bridge.c) returns without a word when <c>intercept_unbridged_only</c>
/// is set and the caller is flagged bridged, or <c>intercept_unanswered_only</c> is set and it is answered. A
/// phone that answers the INVITE with 183 + SDP has its early media bridged to an unanswered caller, which flags
/// the caller bridged: so for a caller not yet answered the answer is the guard (a phone answering sets it);
/// for a caller answered earlier (an IVR, a greeting) it is the bridge. Both are set every time, since the
/// picker's channel keeps a variable from one attempt to the next.
/// </remarks>
internal sealed record InterceptGuard(string Name, IReadOnlyList<PlannedCommand> Commands)
{
    private static readonly InterceptGuard Unanswered = new("intercept_unanswered_only",
        [new("set", "intercept_unanswered_only=true"), new("set", "intercept_unbridged_only=false")]);

    private static readonly InterceptGuard Unbridged = new("intercept_unbridged_only",
        [new("set", "intercept_unanswered_only=false"), new("set", "intercept_unbridged_only=true")]);

    public static InterceptGuard For(bool callerAnswered) => callerAnswered ? Unbridged : Unanswered;

    /// <summary>
    /// The leg the picker was bridged to, from intercept's CHANNEL_EXECUTE_COMPLETE: switch_ivr_uuid_bridge sets
    /// <c>bridge_uuid</c> and <c>signal_bond</c> on the picker before intercept returns; a refused intercept
    /// leaves both unset, so a refusal is known at once instead of after a timeout.
    /// </summary>
    public static string? BridgedTo(EslEvent completion)
    {
        var bridged = completion.GetVariable("bridge_uuid") ?? completion.GetVariable("signal_bond");
        return string.IsNullOrEmpty(bridged) ? null : bridged;
    }
}
