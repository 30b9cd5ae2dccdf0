using System.Globalization;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Calls;

/// <summary>
/// The dialplan applications a module runs on its call, and how each argument is written: one model for both ways
/// in. The socket path sends them as <c>sendmsg execute</c> (<see cref="SessionActions"/>); the dialplan path writes
/// them as the actions of the extension it answers a fetch with (Dialplan.DialplanDocument). A ring attempt's
/// commands come from <see cref="RingGroupPlanner"/>, an intercept's guard from Pickup.InterceptGuard.
/// </summary>
public static class CallCommands
{
    public static readonly PlannedCommand Answer = new("answer", null);

    public static readonly PlannedCommand PreAnswer = new("pre_answer", null);

    public static PlannedCommand Playback(string media) => new("playback", AppArgument.Encode(media));

    /// <summary>mod_dptools transfer: extension, dialplan, context.</summary>
    public static PlannedCommand Transfer(string extension, string dialplan, string context) => new("transfer", $"{extension} {dialplan} {context}");

    public static PlannedCommand Intercept(string argument) => new("intercept", argument);

    public static PlannedCommand Hangup(string cause) => new("hangup", AppArgument.Encode(cause));

    /// <summary>
    /// A SIP final response, optionally after early media; an answered call cannot take a SIP error, so it gets the
    /// media only. mod_sofia.c (SWITCH_MESSAGE_INDICATE_RESPOND): the code, then everything after the first space is
    /// the reason phrase. The call is hung up afterwards (NORMAL_CLEARING), each path in its own way.
    /// </summary>
    public static IReadOnlyList<PlannedCommand> Respond(int code, string reason, string? media, bool answered)
    {
        var commands = new List<PlannedCommand>(3);
        if (media is not null)
        {
            if (!answered)
            {
                commands.Add(PreAnswer);
            }
            commands.Add(Playback(media));
        }
        if (!answered)
        {
            var text = code.ToString(CultureInfo.InvariantCulture);
            commands.Add(new("respond", AppArgument.Encode(reason.Length == 0 ? text : $"{text} {reason}")));
        }
        return commands;
    }
}
