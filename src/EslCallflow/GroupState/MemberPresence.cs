using System.Security.Cryptography;
using System.Text;
using EslCallflow.Esl;
using EslCallflow.Tracking;

namespace EslCallflow.GroupState;

/// <summary>
/// Lights a BLF key on a toggle's number while the member is logged in: a PRESENCE_IN event that FreeSWITCH's mod_sofia
/// turns into a dialog NOTIFY to the phones subscribed to <c>number@realm</c>. sofia_presence.c
/// <c>actual_sofia_presence_event_handler</c> reads <c>proto</c>, <c>from</c>, <c>status</c>, <c>event_type</c> and
/// <c>alt_event_type</c> (<c>dialog</c>: a dialog-info body); <c>sofia_presence_sub_callback</c> writes a
/// <c>&lt;dialog&gt;</c> only for an event with a <c>unique-id</c>, with <c>answer-state</c> as its
/// <c>&lt;state&gt;</c> (<c>confirmed</c>: lit; <c>terminated</c>: dark) and <c>Presence-Call-Direction</c> as its
/// direction. The unique-id is made from the number and realm (a name-based UUID; FreeSWITCH's channels have random ones), so every event
/// about one key names the same dialog.
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

    /// <summary>A UUID (RFC 9562 version 8: SHA-256 of the name) for the key of <paramref name="number"/> at <paramref name="realm"/>.</summary>
    public static Guid DialogId(string number, string realm)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"eslcallflow ring_group_toggle {number}@{realm}"), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>Sends it; false when the event socket is down (the key shows the state at the next toggle).</summary>
    public async Task<bool> SendAsync(string number, string realm, bool loggedIn, CancellationToken cancellationToken)
    {
        try
        {
            await switchApi.SendEventAsync("PRESENCE_IN", DialogId(number, realm), Headers(number, realm, loggedIn), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is EslConnectionClosedException or EslCommandException)
        {
            return false;
        }
    }
}
