using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.Pickup;

/// <summary>
/// The keys the channel tracker files a ringing leg under, and the keys a device is looked up by: one for our
/// device variable, one for its SIP identity (realm compared case-insensitively, as FreeSWITCH does).
/// </summary>
public static class DeviceKey
{
    public static string ForId(string deviceId) => "id:" + deviceId;

    public static string? ForSipIdentity(string? identity) =>
        SplitSipIdentity(identity) is var (username, realm) ? ForSip(username, realm) : null;

    /// <summary><c>user@realm</c> (a presence_id, or dialled user and domain) split at its last '@'; null if either side is empty.</summary>
    public static (string Username, string Realm)? SplitSipIdentity(string? identity)
    {
        var at = identity?.LastIndexOf('@') ?? -1;
        return at <= 0 || at == identity!.Length - 1 ? null : (identity[..at], identity[(at + 1)..]);
    }

    public static string ForSip(string username, string realm) => "sip:" + username + "@" + realm.ToLowerInvariant();

    public static IEnumerable<string> Of(Device device)
    {
        yield return ForId(device.Id);
        yield return ForSip(device.SipUsername, device.SipRealm);
    }
}
