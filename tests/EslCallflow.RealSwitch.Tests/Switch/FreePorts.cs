using System.Net;
using System.Net.Sockets;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>Loopback ports nobody uses now, so the suite never collides with a switch or daemon already running.</summary>
public static class FreePorts
{
    private static readonly HashSet<int> Given = [];

    /// <summary>A port free for TCP and, when <paramref name="udpToo"/>, for UDP as well (sofia listens on both).</summary>
    public static int Next(bool udpToo = false)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            if (!udpToo || UdpFree(port))
            {
                lock (Given)
                {
                    if (Given.Add(port))
                    {
                        return port;
                    }
                }
            }
        }
        throw new InvalidOperationException("no free loopback port found");
    }

    private static bool UdpFree(int port)
    {
        try
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
