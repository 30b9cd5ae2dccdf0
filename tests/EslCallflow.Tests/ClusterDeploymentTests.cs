using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace EslCallflow.Tests;

/// <summary>deploy/kamailio and deploy/cluster: the proxy's configuration starts as it is, and each node's values agree everywhere they appear.</summary>
public sealed partial class ClusterDeploymentTests
{
    private static readonly string Compose = File.ReadAllText(RepositoryFiles.PathOf("deploy/cluster/docker-compose.yml"));

    [GeneratedRegex(@"data=""(?<name>[a-z_]+)=(?<value>[^""]*)""")]
    private static partial Regex VarSetting();

    private static Dictionary<string, string> Vars(string file) =>
        VarSetting().Matches(File.ReadAllText(RepositoryFiles.PathOf(file))).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);

    [GeneratedRegex(@"^  (?<service>[a-z-]+):$", RegexOptions.Multiline)]
    private static partial Regex ServiceLine();

    /// <summary>A setting of one service in the compose file (its block runs to the next service).</summary>
    private static string ComposeSetting(string service, string name)
    {
        var starts = ServiceLine().Matches(Compose).ToList();
        var at = starts.FindIndex(m => m.Groups["service"].Value == service);
        var block = Compose[starts[at].Index..(at + 1 < starts.Count ? starts[at + 1].Index : Compose.Length)];
        return Regex.Match(block, $@"{Regex.Escape(name)}: ""?(?<v>[^""\n#]+)").Groups["v"].Value.TrimEnd();
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void Each_nodes_ports_and_URIs_agree_between_its_vars_file_its_daemon_and_the_proxys_node_list(string node)
    {
        var vars = Vars($"deploy/cluster/node-{node}.vars.xml");
        var daemon = "eslcallflow-" + node;
        var nodeUri = $"sip:{vars["domain"]}:{vars["sip_port"]}";

        Assert.Equal(nodeUri, ComposeSetting(daemon, "ESLCALLFLOW_Cluster__NodeSipUri"));
        Assert.Contains("1 " + nodeUri + "\n", File.ReadAllText(RepositoryFiles.PathOf("deploy/cluster/nodes.list")), StringComparison.Ordinal);
        Assert.Equal(vars["event_socket_port"], ComposeSetting(daemon, "ESLCALLFLOW_Esl__Inbound__Port"));
        Assert.Equal(vars["eslcallflow_socket"], "127.0.0.1:" + ComposeSetting(daemon, "ESLCALLFLOW_Esl__Outbound__Port"));
        Assert.Equal(node, ComposeSetting(daemon, "ESLCALLFLOW_Cluster__NodeId"));
        // mod_xml_curl asks this node's own daemon, where it listens (on the host's network, a port of its own).
        var dialplanUrl = ComposeSetting(daemon, "ESLCALLFLOW_Dialplan__Url") is { Length: > 0 } url ? url : new EslCallflow.Dialplan.DialplanOptions().Url;
        Assert.Equal(dialplanUrl.TrimEnd('/') + new EslCallflow.Dialplan.DialplanOptions().Path, vars["eslcallflow_dialplan_url"]);
        Assert.Equal("proxy", vars["inbound_acl"]);
        var proxy = ComposeSetting(daemon, "ESLCALLFLOW_Cluster__ProxyUri");
        Assert.Equal(proxy["sip:".Length..].Split(':')[0] + "/32", vars["proxy_cidr"]);
        Assert.Contains($"./node-{node}.vars.xml:/etc/freeswitch/vars.xml:ro", Compose, StringComparison.Ordinal);
    }

    [Fact]
    public void The_nodes_have_ports_and_RTP_ranges_of_their_own_and_every_other_value_of_the_shipped_vars()
    {
        var a = Vars("deploy/cluster/node-a.vars.xml");
        var b = Vars("deploy/cluster/node-b.vars.xml");
        var shipped = Vars("freeswitch-conf/vars.xml");
        Assert.Equal(shipped.Keys.Order(), a.Keys.Order());
        Assert.Equal(shipped.Keys.Order(), b.Keys.Order());
        foreach (var name in new[] { "sip_port", "event_socket_port", "eslcallflow_socket", "eslcallflow_dialplan_url" })
        {
            Assert.NotEqual(a[name], b[name]);
        }
        Assert.True(int.Parse(a["rtp_end_port"], System.Globalization.CultureInfo.InvariantCulture) < int.Parse(b["rtp_start_port"], System.Globalization.CultureInfo.InvariantCulture), "RTP ranges overlap");
        Assert.Equal(shipped["domain"], a["domain"]);
        Assert.Equal("none", shipped["inbound_acl"]); // one switch alone trusts no address
    }

    [Fact]
    public void Kamailio_reads_the_Redis_and_the_key_prefix_the_daemons_write_to()
    {
        var cfg = File.ReadAllText(RepositoryFiles.PathOf("deploy/kamailio/kamailio.cfg"));
        var redis = Regex.Match(cfg, @"#!define REDIS ""name=store;addr=(?<host>[^;""]+);port=(?<port>\d+)""");
        Assert.True(redis.Success, "kamailio.cfg defines no REDIS");
        foreach (var daemon in new[] { "eslcallflow-a", "eslcallflow-b" })
        {
            Assert.Equal($"{redis.Groups["host"].Value}:{redis.Groups["port"].Value}", ComposeSetting(daemon, "ESLCALLFLOW_Cluster__Redis"));
        }
        Assert.Contains($"\"--port\", \"{redis.Groups["port"].Value}\"", Compose, StringComparison.Ordinal);
        Assert.Contains($"#!define KEY_PREFIX \"{new Cluster.ClusterOptions().KeyPrefix}\"", cfg, StringComparison.Ordinal);
    }

    [NeedsToolFact("kamailio")]
    public async Task Kamailios_configuration_starts_as_it_is_answers_keepalives_and_takes_registrations()
    {
        var folder = RepositoryFiles.PathOf("deploy/kamailio");
        var port = FreeUdpPort();
        var run = Directory.CreateTempSubdirectory("kamailio-run");
        var start = new ProcessStartInfo("kamailio") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-DD", "-E", "-f", Path.Combine(folder, "kamailio.cfg"), "-w", folder, "-Y", run.FullName, "-A", $"LISTEN=udp:127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }
        using var kamailio = Process.Start(start)!;
        var stderr = new StringBuilder();
        kamailio.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        kamailio.OutputDataReceived += (_, _) => { };
        kamailio.BeginErrorReadLine();
        kamailio.BeginOutputReadLine();
        try
        {
            using var phone = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var local = ((IPEndPoint)phone.Client.LocalEndPoint!).Port;
            var keepalive = await AskAsync(phone, port, $"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-k1;rport\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1:{port}>\r\nCall-ID: k1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", kamailio, stderr);
            Assert.StartsWith("SIP/2.0 200 Keepalive", keepalive, StringComparison.Ordinal);
            var registered = await AskAsync(phone, port, $"REGISTER sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-k2;rport\r\nFrom: <sip:1001@127.0.0.1>;tag=1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: k2\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:{local}>\r\nExpires: 60\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", kamailio, stderr);
            Assert.StartsWith("SIP/2.0 200 OK", registered, StringComparison.Ordinal);
            Assert.Contains($"Contact: <sip:1001@127.0.0.1:{local}>;expires=60", registered, StringComparison.Ordinal);
        }
        finally
        {
            kamailio.Kill(entireProcessTree: true);
            await kamailio.WaitForExitAsync();
            run.Delete(recursive: true);
        }
    }

    private static async Task<string> AskAsync(UdpClient phone, int port, string request, Process kamailio, StringBuilder stderr)
    {
        // Kamailio takes a moment to bind: ask again until it answers.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            Assert.False(kamailio.HasExited, "kamailio exited:\n" + stderr);
            await phone.SendAsync(Encoding.ASCII.GetBytes(request), new IPEndPoint(IPAddress.Loopback, port));
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                return Encoding.ASCII.GetString((await phone.ReceiveAsync(wait.Token)).Buffer);
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
                // ICMP port unreachable while it starts.
            }
        }
        Assert.Fail("kamailio did not answer:\n" + stderr);
        return string.Empty;
    }

    private static int FreeUdpPort()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}
