using EslCallflow.Esl;
using EslCallflow.Tracking;

namespace EslCallflow.GroupState;

/// <summary>
/// Lights a BLF key on a toggle's number while the member is logged in: a PRESENCE_IN event FreeSWITCH's mod_sofia
/// turns into a dialog NOTIFY to the phones subscribed to <c>number@realm</c>. sofia_presence.c
/// <c>actual_sofia_presence_event_handler</c> reads <c>proto</c>, <c>from</c>, <c>status</c>, <c>event_type</c> and
/// <c>alt_event_type</c> (<c>dialog</c> makes it a dialog-info body), and <c>answer-state</c> becomes the dialog's
/// <c>&lt;state&gt;</c> (<c>confirmed</c>: lit; <c>terminated</c>: dark) in its dialog-info writer.
/// </summary>
public sealed class MemberPresence(ISwitchApi switchApi)
{
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(string number, string realm, bool loggedIn) =>
    [
        new("proto", "sip"),
        new("login", $"{number}@{realm}"),
        new("from", $"{number}@{realm}"),
        new("event_type", "presence"),
        new("alt_event_type", "dialog"),
        new("Presence-Call-Direction", "outbound"),
        new("status", loggedIn ? "Logged in" : "Logged out"),
        new("answer-state", loggedIn ? "confirmed" : "terminated"),
    ];

    /// <summary>Sends it; false when the event socket is down (the key shows the state at the next toggle).</summary>
    public async Task<bool> SendAsync(string number, string realm, bool loggedIn, CancellationToken cancellationToken)
    {
        try
        {
            await switchApi.SendEventAsync("PRESENCE_IN", Headers(number, realm, loggedIn), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is EslConnectionClosedException or EslCommandException)
        {
            return false;
        }
    }
}
