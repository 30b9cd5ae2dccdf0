using System.Net;

namespace EslCallflow.Esl.Outbound;

/// <summary>Which remote addresses may open an outbound session (the socket app has no password), or reach any other
/// endpoint FreeSWITCH calls without a password of its own (the daemon's dialplan fetch).</summary>
public sealed class PeerAllowList
{
    private readonly IPNetwork[] _networks;

    public PeerAllowList(IEnumerable<string> entries)
    {
        _networks = entries.Select(entry => TryParseEntry(entry, out var network)
            ? network
            : throw new ArgumentException($"'{entry}' is neither an IP address nor a CIDR range", nameof(entries))).ToArray();
    }

    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    public static bool TryParseEntry(string entry, out IPNetwork network)
    {
        if (IPNetwork.TryParse(entry, out network))
        {
            return true;
        }
        if (IPAddress.TryParse(entry, out var single))
        {
            network = new IPNetwork(single, single.GetAddressBytes().Length * 8);
            return true;
        }
        return false;
    }
}
