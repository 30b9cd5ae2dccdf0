using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>
/// Legs to phones sent through a SIP proxy where the phones registered (several switches behind Kamailio), as
/// KAZOO's ecallmgr builds device legs (ecallmgr_registrar:bridge_uri/4, ecallmgr_util:build_sip_channel/1):
/// <c>sofia/&lt;profile&gt;/&lt;user&gt;@&lt;realm&gt;;fs_path=&lt;sip:proxy;lr&gt;</c>. mod_sofia.c
/// <c>sofia_outgoing_channel</c> cuts what follows <c>fs_path=</c> at the first ';' or '&gt;' and then URL-decodes
/// it, so the brackets and <c>;lr</c> are sent encoded; the INVITE then goes to the proxy with
/// <c>Route: &lt;sip:proxy;lr&gt;</c> and its Request-URI stays <c>user@realm</c>, which the proxy looks up.
/// A device with a dial_string of its own is rung as written.
/// </summary>
public sealed record PhoneRoute(string Profile, string ProxyUri)
{
    /// <summary>The leg's endpoint; the device's username and realm are checked again, since they become part of it.</summary>
    public string Endpoint(Device device) =>
        SafeText.CheckSipUser(device.SipUsername) is null && SafeText.CheckRealm(device.SipRealm) is null
            ? $"sofia/{Profile}/{device.SipUsername}@{device.SipRealm};fs_path=%3C{ProxyUri}%3Blr%3E"
            : throw new ArgumentException($"device {device.Id}: {device.SipUsername}@{device.SipRealm} is not a SIP identity a leg can carry", nameof(device));

    /// <summary>
    /// What the directory's dial-string sets on a <c>user/</c> leg and a routed leg must carry itself: the presence
    /// the phone's BLF watchers follow, and the domain of the INVITE's From.
    /// </summary>
    public static string PresenceId(Device device) => device.SipUsername + "@" + device.SipRealm;
}
