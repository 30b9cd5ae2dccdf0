using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

[CollectionDefinition(Name)]
public sealed class RealSwitchCollection : ICollectionFixture<RealSwitch>
{
    public const string Name = "real switch";
}

/// <summary>
/// One FreeSWITCH, one daemon and six registered phones (1001 to 1006, as freeswitch-conf/directory defines
/// them) for the whole suite; tests run one after another. Without ESLCALLFLOW_FREESWITCH nothing starts
/// (and every test says it skipped, see <see cref="RealSwitchFactAttribute"/>).
/// </summary>
public sealed class RealSwitch : IAsyncLifetime
{
    public const string Variable = "ESLCALLFLOW_FREESWITCH";
    public const string Domain = "127.0.0.1";
    public static readonly string[] Users = ["1001", "1002", "1003", "1004", "1005", "1006"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Dictionary<string, SipPhone> _phones = new(StringComparer.Ordinal);
    private string _runFolder = string.Empty;

    public static string? Binary => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? path : null;

    public FreeSwitchInstance Switch { get; private set; } = null!;
    public DaemonInstance Daemon { get; private set; } = null!;

    /// <summary>Process groups a crashed earlier run had left running, killed at start.</summary>
    public IReadOnlyList<string> LeftoversKilled { get; private set; } = [];

    public SipPhone Phone(string user) => _phones[user];

    public async Task InitializeAsync()
    {
        if (Binary is null)
        {
            return;
        }
        if (!File.Exists(Binary))
        {
            throw new FileNotFoundException($"{Variable}={Binary}: no such file", Binary);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        LeftoversKilled = ManagedProcess.KillLeftovers();
        _runFolder = SuitePaths.NewRun();
        // Built before the switch starts, so the build's CPU does not slow the switch's start-up.
        await DaemonInstance.BuildAsync(timeout.Token);
        Switch = new FreeSwitchInstance(Binary, _runFolder, FreePorts.Next());
        await Switch.StartAsync(StartTimeout, timeout.Token);
        Daemon = new DaemonInstance(_runFolder, Switch);
        await Daemon.StartAsync(StartTimeout, timeout.Token);
        foreach (var user in Users)
        {
            _phones[user] = new SipPhone(user, "1234", Domain, new IPEndPoint(IPAddress.Loopback, Switch.SipPort));
        }
        await RegisterPhonesAsync();
    }

    public async Task RegisterPhonesAsync()
    {
        await Task.WhenAll(_phones.Values.Select(p => p.RegisterAsync(TimeSpan.FromSeconds(10))));
    }

    /// <summary>Brings back whatever an earlier test stopped (a switch restart, a killed daemon) and failed to restore.</summary>
    public async Task EnsureRunningAsync(CancellationToken cancellationToken)
    {
        if (!Switch.IsRunning)
        {
            await Switch.StopAsync();
            await Switch.StartAsync(StartTimeout, cancellationToken);
            await RegisterPhonesAsync();
        }
        if (!Daemon.IsRunning)
        {
            await Daemon.StartAsync(StartTimeout, cancellationToken);
        }
        await Daemon.WaitForHealthAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>
    /// Runs one test: phones reset, logs marked; on failure the test's window of the daemon's log, FreeSWITCH's
    /// log and every phone's SIP trace are written to the test output before the failure is rethrown; at the
    /// end every call is hung up.
    /// </summary>
    public async Task RunAsync(ITestOutputHelper output, Func<Scene, Task> body, TimeSpan? timeout = null, [CallerMemberName] string name = "")
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await EnsureRunningAsync(cancellation.Token);
        await Switch.HangUpAllAsync(TimeSpan.FromSeconds(10), cancellation.Token);
        await WaitForIdleDaemonAsync(cancellation.Token);
        foreach (var phone in _phones.Values)
        {
            phone.Reset();
        }
        var scene = new Scene(this, output, cancellation.Token);
        try
        {
            await body(scene);
        }
        catch (Exception ex)
        {
            output.WriteLine($"FAILED {name}: {ex.GetType().Name}: {ex.Message}");
            output.WriteLine(Report(scene));
            throw;
        }
        finally
        {
            try
            {
                using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await EnsureRunningAsync(cleanup.Token);
                await Switch.HangUpAllAsync(TimeSpan.FromSeconds(10), cleanup.Token);
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException or OperationCanceledException)
            {
                output.WriteLine($"cleanup after {name} failed: {ex.Message}");
            }
        }
    }

    /// <summary>Waits until the daemon has no call open and no ringing leg, so one test's counts never leak into the next.</summary>
    private async Task WaitForIdleDaemonAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < 100; i++)
        {
            var metrics = await Daemon.MetricsAsync(cancellationToken);
            if (metrics.Value("eslcallflow_active_calls") == 0 && metrics.Value("eslcallflow_ringing_legs") == 0 && metrics.Value("eslcallflow_dialplan_calls") == 0)
            {
                return;
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    private string Report(Scene scene)
    {
        var text = new StringBuilder();
        text.AppendLine($"=== calls as the phones saw them (times in s on the suite clock; test started at {scene.StartedAt.TotalSeconds:F3})");
        foreach (var phone in _phones.Values)
        {
            foreach (var call in phone.Outgoing)
            {
                text.AppendLine("  " + call);
            }
            foreach (var call in phone.Incoming)
            {
                text.AppendLine("  " + call);
            }
        }
        var sip = _phones.Values.SelectMany(p => p.Trace).OrderBy(l => l, StringComparer.Ordinal).ToList();
        text.AppendLine($"=== SIP datagrams ({sip.Count}, last 200)");
        foreach (var line in sip.Skip(Math.Max(0, sip.Count - 200)))
        {
            text.AppendLine(line);
        }
        text.AppendLine($"=== daemon log for this test ({Daemon.Log.Path})");
        text.AppendLine(Daemon.Log.Tail(scene.DaemonMark, 200));
        text.AppendLine($"=== FreeSWITCH log for this test ({Switch.Log.Path})");
        text.AppendLine(Switch.Log.Tail(scene.SwitchMark, 300));
        return text.ToString();
    }

    public async Task DisposeAsync()
    {
        foreach (var phone in _phones.Values)
        {
            await phone.DisposeAsync();
        }
        if (Daemon is not null)
        {
            await Daemon.DisposeAsync();
        }
        if (Switch is not null)
        {
            await Switch.DisposeAsync();
        }
    }
}
