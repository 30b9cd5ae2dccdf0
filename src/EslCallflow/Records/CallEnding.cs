namespace EslCallflow.Records;

/// <summary>
/// How a call ended, for its record, when its conversation did not say (an answered call's record has it from
/// the bridge): the hangup cause FreeSWITCH reported on the call's session, else the one the outcome implies; and
/// who ended it. Pure.
/// </summary>
public static class CallEnding
{
    public const string Daemon = "daemon";
    public const string Caller = "caller";

    public static (string? Cause, string? HungUpBy) Describe(string outcome, CallRecord record, string? sessionHangupCause)
    {
        var callerLeft = outcome == "caller_gone" || record.Missed is { CallerHungUp: true };
        var hungUpBy = outcome switch
        {
            // The conversation goes on beyond this session (picked up, handed to the dialplan), or was told with its end.
            "picked_up" or "transferred" or "answered" or "completed" => null,
            _ when callerLeft => Caller,
            _ => Daemon,
        };
        var implied = outcome switch
        {
            "unallocated" => "UNALLOCATED_NUMBER",
            "error" => "NORMAL_TEMPORARY_FAILURE",
            "missed" or "nobody_to_ring" => record.Missed?.Cause ?? "NO_USER_RESPONSE",
            "refused" or "nothing_to_pick_up" or "unknown_target" or "responded" => "NORMAL_CLEARING",
            _ => null,
        };
        return (sessionHangupCause ?? implied, hungUpBy);
    }
}
