using System.Globalization;
using System.Net;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;
using EslCallflow.Testing;

namespace EslCallflow.RealSwitch.Tests.Cluster;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterRig>
{
    public const string Name = "cluster";
}

/// <summary>
/// Two switches behind a proxy on loopback, as deploy/cluster/docker-compose.yml runs them: Kamailio
/// (deploy/kamailio/kamailio.cfg) as registrar and dispatcher, FreeSWITCH nodes A and B (freeswitch-conf/ with each
/// node's vars: ports, RTP range, the proxy trusted), a daemon beside each with its Cluster section, and Redis. Phones
/// 1001 to 1006 register at Kamailio only. Kamailio sends phones' calls to the first live node in its list, B, so the
/// suite knows where a call lands; a phone's <see cref="DirectPhone"/> calls node A or B itself (both trust loopback).
/// Opt-in: ESLCALLFLOW_CLUSTER_RIG=1 with ESLCALLFLOW_FREESWITCH; kamailio and redis-server on PATH.
/// </summary>
public sealed class ClusterRig : IAsyncLifetime
{
    public const string Variable = "ESLCALLFLOW_CLUSTER_RIG";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Dictionary<string, SipPhone> _phones = new(StringComparer.Ordinal);
    private readonly Dictionary<(string User, string Node), SipPhone> _direct = [];
    private string _runFolder = string.Empty;
    private ManagedProcess? _kamailio;

    public static bool Enabled => RealSwitch.Binary is not null && Environment.GetEnvironmentVariable(Variable) == "1";

    public RedisServer Redis { get; private set; } = null!;
    public int ProxyPort { get; private set; }
    public FreeSwitchInstance NodeA { get; private set; } = null!;
    public FreeSwitchInstance NodeB { get; private set; } = null!;
    public DaemonInstance DaemonA { get; private set; } = null!;
    public DaemonInstance DaemonB { get; private set; } = null!;
    public LogFile KamailioLog { get; private set; } = null!;

    /// <summary>The phone registered at the proxy; its calls land on node B.</summary>
    public SipPhone Phone(string user) => _phones[user];

    /// <summary>A phone that sends its calls straight to node "A" or "B" (it registers nowhere).</summary>
    public SipPhone DirectPhone(string user, string node)
    {
        if (!_direct.TryGetValue((user, node), out var phone))
        {
            var target = node == "A" ? NodeA : NodeB;
            _direct[(user, node)] = phone = new SipPhone(user, "1234", RealSwitch.Domain, new IPEndPoint(IPAddress.Loopback, target.SipPort)) { ChallengedCalls = false };
        }
        return phone;
    }

    public IEnumerable<SipPhone> AllPhones => _phones.Values.Concat(_direct.Values);

    public async Task InitializeAsync()
    {
        if (!Enabled)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        ManagedProcess.KillLeftovers();
        _runFolder = SuitePaths.NewRun();
        await DaemonInstance.BuildAsync(timeout.Token);
        Redis = await RedisServer.StartAsync();
        ProxyPort = FreePorts.Next(udpToo: true);
        NodeA = Node("node-a", 12000);
        NodeB = Node("node-b", 14000);
        await NodeA.StartAsync(StartTimeout, timeout.Token);
        await NodeB.StartAsync(StartTimeout, timeout.Token);
        await StartKamailioAsync(timeout.Token);
        DaemonA = Daemon(NodeA, "a");
        DaemonB = Daemon(NodeB, "b");
        await DaemonA.StartAsync(StartTimeout, timeout.Token);
        await DaemonB.StartAsync(StartTimeout, timeout.Token);
        foreach (var user in RealSwitch.Users)
        {
            _phones[user] = new SipPhone(user, "1234", RealSwitch.Domain, new IPEndPoint(IPAddress.Loopback, ProxyPort)) { ChallengedCalls = false };
        }
        await Task.WhenAll(_phones.Values.Select(p => p.RegisterAsync(TimeSpan.FromSeconds(10))));
    }

    private FreeSwitchInstance Node(string name, int rtpStart) =>
        new(RealSwitch.Binary!, _runFolder, FreePorts.Next(), name, new Dictionary<string, string>
        {
            ["inbound_acl"] = "proxy",
            ["proxy_cidr"] = "127.0.0.1/32",
            ["rtp_start_port"] = rtpStart.ToString(CultureInfo.InvariantCulture),
            ["rtp_end_port"] = (rtpStart + 1999).ToString(CultureInfo.InvariantCulture),
        });

    private DaemonInstance Daemon(FreeSwitchInstance node, string id) =>
        new(_runFolder, node, "daemon-" + id, new Dictionary<string, string>
        {
            ["ESLCALLFLOW_Cluster__NodeId"] = id,
            ["ESLCALLFLOW_Cluster__NodeSipUri"] = NodeUri(node),
            ["ESLCALLFLOW_Cluster__ProxyUri"] = $"sip:127.0.0.1:{ProxyPort.ToString(CultureInfo.InvariantCulture)}",
            ["ESLCALLFLOW_Cluster__Redis"] = Redis.Configuration,
        });

    public static string NodeUri(FreeSwitchInstance node) => $"sip:127.0.0.1:{node.SipPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Kamailio as shipped, with this rig's address, node list (B first: phones' calls land there) and a run folder.</summary>
    private async Task StartKamailioAsync(CancellationToken cancellationToken)
    {
        var folder = Path.Combine(_runFolder, "kamailio");
        Directory.CreateDirectory(folder);
        var nodes = Path.Combine(folder, "nodes.list");
        // Priority (the fourth field) orders the set: B first.
        await File.WriteAllTextAsync(nodes, $"1 {NodeUri(NodeB)} 0 10\n1 {NodeUri(NodeA)} 0 5\n", cancellationToken);
        KamailioLog = new LogFile(Path.Combine(folder, "kamailio.log"));
        _kamailio = ManagedProcess.Start("kamailio", "kamailio",
            [
                "-DD", "-E", "-f", Path.Combine(SuitePaths.Repository, "deploy", "kamailio", "kamailio.cfg"), "-w", folder, "-Y", folder,
                "-A", $"LISTEN=udp:127.0.0.1:{ProxyPort.ToString(CultureInfo.InvariantCulture)}", "-A", "DISPATCH_ALG=\"8\"",
            ],
            folder, KamailioLog.Path);
        // Ready once it answers a keepalive.
        await using var probe = new SipPhone("probe", "x", RealSwitch.Domain, new IPEndPoint(IPAddress.Loopback, ProxyPort)) { ChallengedCalls = false };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (_kamailio.HasExited)
            {
                throw new InvalidOperationException("kamailio exited:\n" + KamailioLog.Tail(0, 40));
            }
            try
            {
                await probe.RegisterAsync(TimeSpan.FromSeconds(1), expires: 0);
                return;
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>Before a test: both daemons and Redis up, no call anywhere, every phone's record cleared.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        if (!await RedisUpAsync())
        {
            await Redis.StartAgainAsync();
        }
        foreach (var daemon in new[] { DaemonA, DaemonB })
        {
            if (!daemon.IsRunning)
            {
                await daemon.StartAsync(StartTimeout, cancellationToken);
            }
        }
        await NodeA.HangUpAllAsync(TimeSpan.FromSeconds(10), cancellationToken);
        await NodeB.HangUpAllAsync(TimeSpan.FromSeconds(10), cancellationToken);
        foreach (var daemon in new[] { DaemonA, DaemonB })
        {
            for (var i = 0; i < 100; i++)
            {
                var metrics = await daemon.MetricsAsync(cancellationToken);
                if (metrics.Value("eslcallflow_active_calls") == 0 && metrics.Value("eslcallflow_ringing_legs") == 0 && metrics.Value("eslcallflow_cluster_store_up") == 1)
                {
                    break;
                }
                await Task.Delay(50, cancellationToken);
            }
        }
        foreach (var phone in AllPhones)
        {
            phone.Reset();
        }
    }

    private async Task<bool> RedisUpAsync()
    {
        try
        {
            return (await Redis.CommandAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public async Task DisposeAsync()
    {
        if (!Enabled)
        {
            return;
        }
        foreach (var phone in AllPhones)
        {
            await phone.DisposeAsync();
        }
        await DaemonA.DisposeAsync();
        await DaemonB.DisposeAsync();
        if (_kamailio is not null)
        {
            await _kamailio.StopAsync(TimeSpan.FromSeconds(5));
            _kamailio.Dispose();
        }
        await NodeA.DisposeAsync();
        await NodeB.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>A test on the two-node rig: it runs only with ESLCALLFLOW_CLUSTER_RIG=1 and ESLCALLFLOW_FREESWITCH, and says why it skipped otherwise.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        if (!ClusterRig.Enabled)
        {
            Skip = $"needs the two-node rig: set {ClusterRig.Variable}=1 and {RealSwitch.Variable} to a FreeSWITCH 1.10 binary, with kamailio and redis-server installed (see README, Real-switch tests)";
        }
    }
}
