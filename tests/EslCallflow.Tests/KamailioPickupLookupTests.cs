using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EslCallflow.Callflows.Loading;
using EslCallflow.Cluster;
using EslCallflow.Clustering;
using EslCallflow.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EslCallflow.Tests;

/// <summary>
/// deploy/kamailio/kamailio.cfg's route[PICKUP_LOOKUP] against a real Redis holding what a daemon's publisher wrote:
/// a directed pickup of a ringing phone, or a group pickup, goes to the node where the call it takes rings, anything else
/// to the dispatcher's choice.
/// The nodes are two UDP sockets that answer OPTIONS and record the INVITEs they get.
/// </summary>
public sealed class KamailioPickupLookupTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [NeedsToolFact("kamailio", "redis-server")]
    public async Task A_directed_pickup_of_a_phone_goes_to_the_node_where_it_rings_and_anything_else_to_the_dispatchers_choice()
    {
        await using var redis = await RedisServer.StartAsync();
        using var first = new FakeNode();  // the dispatcher's choice (priority 10)
        using var second = new FakeNode(); // where 1001 rings
        // Node "b" publishes a leg ringing on 1001 as a daemon does; "gone" published one on 1002 and then died.
        var ringing = new RingingEntry("leg-1", "caller-1", "dev-1001", "1001@127.0.0.1", ["id:dev-1001", "sip:1001@127.0.0.1"], 1_000, "b");
        await PublishAsync(redis, "b", second.Uri, ringing);
        await PublishAsync(redis, "gone", "sip:127.0.0.1:9", ringing with { LegUuid = "leg-2", DeviceId = "dev-1002", SipIdentity = "1002@127.0.0.1", DeviceKeys = ["sip:1002@127.0.0.1"], NodeId = "gone" });
        await redis.CommandAsync("DEL eslcallflow:node:gone");

        await using var lookup = await Lookup.StartAsync(redis.Port, (first, 10), (second, 5));
        var (port, kamailio, stderr) = (lookup.Port, lookup.Kamailio, lookup.Stderr);
        using var phone = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Same(second, await InviteAsync(phone, port, "*71001", kamailio, stderr, first, second));
        Assert.Same(second, await InviteAsync(phone, port, "**1001", kamailio, stderr, first, second));
        Assert.Same(first, await InviteAsync(phone, port, "*71003", kamailio, stderr, first, second)); // rings nowhere
        Assert.Same(first, await InviteAsync(phone, port, "*71002", kamailio, stderr, first, second)); // its node is dead
        Assert.Same(first, await InviteAsync(phone, port, "7000", kamailio, stderr, first, second));   // not a pickup code
    }

    [NeedsToolFact("kamailio", "redis-server")]
    public async Task A_group_pickup_goes_to_the_node_where_the_oldest_call_in_its_scope_rings()
    {
        await using var redis = await RedisServer.StartAsync();
        using var first = new FakeNode();  // the dispatcher's choice (priority 10)
        using var second = new FakeNode();
        using var third = new FakeNode();
        // The bundled 8000 picks up in sales (1001, 1002, 1003, 1006); its scope as the daemons publish it.
        var config = ConfigurationLoader.LoadFolder(RunningDaemon.BundledConfig).Configuration!;
        RingingEntry Leg(string user, long since, string node) =>
            new($"leg-{user}", $"caller-{user}", $"dev{user}", $"{user}@127.0.0.1", [$"id:dev{user}", $"sip:{user}@127.0.0.1"], since, node);
        await PublishAsync(redis, "b", second.Uri, [Leg("1002", 2_000, "b")], ClusterPickupScopes.Of(config));
        // The oldest call of all rings 1004, out of scope; the oldest in scope rings 1003 on node c.
        await PublishAsync(redis, "c", third.Uri, [Leg("1004", 500, "c"), Leg("1003", 1_500, "c")]);
        // Older still, 1001 on node "gone", which published it and then died.
        await PublishAsync(redis, "gone", "sip:127.0.0.1:9", [Leg("1001", 1_000, "gone")]);
        await redis.CommandAsync("DEL eslcallflow:node:gone");

        await using var lookup = await Lookup.StartAsync(redis.Port, (first, 10), (second, 5), (third, 1));
        var (port, kamailio, stderr) = (lookup.Port, lookup.Kamailio, lookup.Stderr);
        using var phone = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Same(third, await InviteAsync(phone, port, "8000", kamailio, stderr, "1006", first, second, third));
        // The picker's own phone is never the one picked up: from 1003, the next oldest (1002 on node b).
        Assert.Same(second, await InviteAsync(phone, port, "8000", kamailio, stderr, "1003", first, second, third));
        Assert.Same(first, await InviteAsync(phone, port, "7000", kamailio, stderr, "1006", first, second, third)); // no group pickup
        Assert.Same(first, await InviteAsync(phone, port, "8001", kamailio, stderr, "1006", first, second, third)); // nor this
        // Nothing in scope rings any more (their node's heartbeats are gone): the dispatcher's choice.
        await redis.CommandAsync("DEL eslcallflow:node:b eslcallflow:node:c");
        Assert.Same(first, await InviteAsync(phone, port, "8000", kamailio, stderr, "1006", first, second, third));
    }

    /// <summary>Kamailio on deploy/kamailio/kamailio.cfg with these nodes in its dispatcher list, stopped and cleaned up when disposed.</summary>
    private sealed class Lookup(DirectoryInfo folder, int port, Process kamailio, StringBuilder stderr) : IAsyncDisposable
    {
        public int Port => port;
        public Process Kamailio => kamailio;
        public StringBuilder Stderr => stderr;

        public static async Task<Lookup> StartAsync(int redisPort, params (FakeNode Node, int Priority)[] nodes)
        {
            var folder = Directory.CreateTempSubdirectory("kamailio-lookup");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "nodes.list"), string.Concat(nodes.Select(n => $"1 {n.Node.Uri} 0 {n.Priority}\n")));
            var port = FreeUdpPort();
            return new Lookup(folder, port, StartKamailio(folder.FullName, port, redisPort, out var stderr), stderr);
        }

        public async ValueTask DisposeAsync()
        {
            kamailio.Kill(entireProcessTree: true);
            await kamailio.WaitForExitAsync();
            kamailio.Dispose();
            folder.Delete(recursive: true);
        }
    }

    private static Task PublishAsync(RedisServer redis, string nodeId, string nodeUri, RingingEntry entry) => PublishAsync(redis, nodeId, nodeUri, [entry]);

    private static async Task PublishAsync(RedisServer redis, string nodeId, string nodeUri, IReadOnlyList<RingingEntry> entries, IReadOnlyDictionary<string, IReadOnlyCollection<string>>? scopes = null)
    {
        var options = Options.Create(new ClusterOptions
        {
            NodeId = nodeId,
            NodeSipUri = nodeUri,
            ProxyUri = "sip:127.0.0.1:5060",
            Redis = redis.Configuration,
        });
        await using var connection = new ClusterConnection(options, NullLogger<ClusterConnection>.Instance);
        await using var publisher = new RingingPublisher(connection, NullLogger<RingingPublisher>.Instance);
        connection.Start();
        publisher.Start();
        foreach (var entry in entries)
        {
            publisher.Ringing(entry);
        }
        if (scopes is not null)
        {
            publisher.PickupScopes(scopes);
        }
        var until = DateTime.UtcNow + Within;
        while (!connection.IsUp || !await publisher.FlushedAsync(TimeSpan.FromMilliseconds(100)))
        {
            Assert.True(DateTime.UtcNow < until, $"node {nodeId} did not publish its leg");
        }
    }

    private static Process StartKamailio(string folder, int port, int redisPort, out StringBuilder stderr)
    {
        var start = new ProcessStartInfo("kamailio") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[]
        {
            "-DD", "-E", "-f", RepositoryFiles.PathOf("deploy/kamailio/kamailio.cfg"), "-w", folder, "-Y", folder,
            "-A", $"LISTEN=udp:127.0.0.1:{port}", "-A", "DISPATCH_ALG=\"8\"", "-A", $"REDIS=\"name=store;addr=127.0.0.1;port={redisPort}\"",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var kamailio = Process.Start(start)!;
        var lines = new StringBuilder();
        kamailio.ErrorDataReceived += (_, e) => { lock (lines) { lines.AppendLine(e.Data); } };
        kamailio.OutputDataReceived += (_, _) => { };
        kamailio.BeginErrorReadLine();
        kamailio.BeginOutputReadLine();
        stderr = lines;
        return kamailio;
    }

    /// <summary>Sends a new INVITE for <paramref name="number"/> until a node gets it (Kamailio takes a moment to bind); that node.</summary>
    private static Task<FakeNode> InviteAsync(UdpClient phone, int port, string number, Process kamailio, StringBuilder stderr, params FakeNode[] nodes) =>
        InviteAsync(phone, port, number, kamailio, stderr, "1004", nodes);

    /// <summary>As above, from the phone <paramref name="from"/>.</summary>
    private static async Task<FakeNode> InviteAsync(UdpClient phone, int port, string number, Process kamailio, StringBuilder stderr, string from, params FakeNode[] nodes)
    {
        var local = ((IPEndPoint)phone.Client.LocalEndPoint!).Port;
        var callId = Guid.NewGuid().ToString("N");
        var invite = $"INVITE sip:{number}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-{callId};rport\r\n"
            + $"From: <sip:{from}@127.0.0.1>;tag=1\r\nTo: <sip:{number}@127.0.0.1>\r\nCall-ID: {callId}\r\nCSeq: 1 INVITE\r\n"
            + $"Contact: <sip:{from}@127.0.0.1:{local}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
        var until = DateTime.UtcNow + Within;
        while (true)
        {
            Assert.False(kamailio.HasExited, "kamailio exited:\n" + stderr);
            await phone.SendAsync(Encoding.ASCII.GetBytes(invite), new IPEndPoint(IPAddress.Loopback, port));
            await Task.Delay(100);
            if (nodes.FirstOrDefault(n => n.Got(callId)) is { } node)
            {
                return node;
            }
            Assert.True(DateTime.UtcNow < until, $"no node got the INVITE for {number}:\n{stderr}");
        }
    }

    private static int FreeUdpPort()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }

    /// <summary>A FreeSWITCH node as the proxy sees it: answers OPTIONS, and keeps the Call-IDs of the INVITEs it gets.</summary>
    private sealed class FakeNode : IDisposable
    {
        private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();
        private readonly HashSet<string> _invites = new(StringComparer.Ordinal);

        public FakeNode()
        {
            Uri = $"sip:127.0.0.1:{((IPEndPoint)_socket.Client.LocalEndPoint!).Port}";
            _ = Task.Run(ServeAsync);
        }

        public string Uri { get; }

        public bool Got(string callId)
        {
            lock (_invites)
            {
                return _invites.Contains(callId);
            }
        }

        private async Task ServeAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var received = await _socket.ReceiveAsync(_stop.Token);
                    var text = Encoding.ASCII.GetString(received.Buffer);
                    var headers = text.Split("\r\n");
                    var callId = headers.FirstOrDefault(h => h.StartsWith("Call-ID: ", StringComparison.Ordinal))?["Call-ID: ".Length..] ?? string.Empty;
                    if (text.StartsWith("INVITE ", StringComparison.Ordinal))
                    {
                        lock (_invites)
                        {
                            _invites.Add(callId);
                        }
                    }
                    else if (text.StartsWith("OPTIONS ", StringComparison.Ordinal))
                    {
                        var reply = "SIP/2.0 200 OK\r\n" + string.Join("\r\n", headers.Where(h => h.StartsWith("Via:", StringComparison.Ordinal) || h.StartsWith("From:", StringComparison.Ordinal)
                            || h.StartsWith("To:", StringComparison.Ordinal) || h.StartsWith("Call-ID:", StringComparison.Ordinal) || h.StartsWith("CSeq:", StringComparison.Ordinal))) + "\r\nContent-Length: 0\r\n\r\n";
                        await _socket.SendAsync(Encoding.ASCII.GetBytes(reply), received.RemoteEndPoint, _stop.Token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
