using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// The soak: mixed traffic at a steady rate for the whole run, the daemon killed (SIGKILL) and restarted once,
/// FreeSWITCH restarted once, the daemon's memory sampled, every call event received by a webhook of the test's own.
/// Then what the issue asks is checked and summarised (<see cref="SoakSummary"/>).
/// </summary>
public sealed partial class SoakRun(Scene s, SoakSettings settings)
{
    public const string HookName = "soak";

    /// <summary>
    /// A soak call lives a few seconds (rings at most 3 s, then 2 to 4 s of talk); one that began this long before the
    /// daemon was killed had ended, so its call.ended must have reached the receiver.
    /// </summary>
    public static readonly TimeSpan LongestCall = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Dictionary<string, SipPhone> _phones = new(StringComparer.Ordinal);
    private readonly List<Fault> _faults = [];
    private readonly List<MemorySample> _memory = [];
    private long _killMark;

    [GeneratedRegex(@"(\d+) total")]
    private static partial Regex ChannelCount();

    public async Task RunAsync()
    {
        await using var receiver = new WebhookReceiver();
        var hook = receiver.Settings(HookName);
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        await s.Switch.AddUsersAsync(SoakTraffic.Users.Keys, s.Cancellation);
        foreach (var (user, behaviour) in SoakTraffic.Users)
        {
            _phones[user] = new SipPhone(user, "1234", RealSwitch.Domain, new IPEndPoint(IPAddress.Loopback, s.Switch.SipPort)) { Behaviour = behaviour };
        }
        try
        {
            await RegisterSoakPhonesAsync();
            await s.Daemon.StopAsync();
            await s.Daemon.StartAsync(StartTimeout, s.Cancellation, settings: hook);
            using var traffic = new SoakTraffic(user => _phones.TryGetValue(user, out var phone) ? phone : s.Phone(user));
            var start = SipClock.Now;
            var wallStart = DateTime.Now;
            var logMark = s.Daemon.Log.Mark();

            using var stopForgetting = CancellationTokenSource.CreateLinkedTokenSource(s.Cancellation);
            var forgetting = ForgetLoopAsync(stopForgetting.Token);
            var faults = InjectFaultsAsync(start, hook);
            var sampling = SampleMemoryAsync(start);
            var calls = await PlaceCallsAsync(traffic, start);
            await Task.WhenAll(faults, sampling);
            await stopForgetting.CancelAsync();
            await forgetting;
            foreach (var call in calls)
            {
                call.Fault = _faults.FirstOrDefault(f => f.Overlaps(call));
            }

            var channels = await ChannelsAtEndAsync();
            var activeCalls = (await s.MetricsAsync()).Value("eslcallflow_active_calls");
            var killMark = _killMark;
            var lines = DaemonLogLine.Parse(s.Daemon.Log.LinesFrom(logMark), wallStart);
            var beforeKill = lines.Count - DaemonLogLine.Parse(s.Daemon.Log.LinesFrom(killMark), wallStart).Count;
            var daemonCalls = DaemonCalls.Read(lines, beforeKill, _faults[0].StartWall);
            ExplainPickupsOfFaultCalls(calls, lines, daemonCalls, start, wallStart);
            await WaitForEventsAsync(receiver, daemonCalls);
            var metrics = await s.MetricsAsync();
            var spool = SpoolState.Read(Path.Combine(s.Daemon.StatePath, "spool", HookName));
            var summary = new SoakSummary(settings, calls, _faults, _memory, lines, daemonCalls, receiver.Events, receiver.BadSignatures, spool,
                metrics.Value("eslcallflow_call_events_queued", ("destination", HookName)), channels, activeCalls, loadBefore, File.ReadAllText("/proc/loadavg").Trim(), start);
            s.Report(summary.Text());
            summary.Check();
        }
        finally
        {
            foreach (var phone in _phones.Values)
            {
                await phone.DisposeAsync();
            }
            // The suite's other tests run the daemon as the fixture started it: without the soak's webhook.
            await s.Daemon.StopAsync();
            await s.Daemon.StartAsync(StartTimeout, CancellationToken.None);
        }
    }

    /// <summary>
    /// A pickup takes the call ringing longest in its scope, so a call a fault left ringing there is taken before the
    /// soak's own: its caller then rings on, unanswered. Such a call is one the daemon never took (with the daemon down,
    /// the fallback dialplan rings user 1001, a sales phone) or one it took before the fault was over. The pickup that
    /// took it is counted with that fault, and says which call it took.
    /// </summary>
    private void ExplainPickupsOfFaultCalls(List<SoakCall> calls, IReadOnlyList<DaemonLogLine> lines, DaemonCalls daemonCalls, TimeSpan start, DateTime wallStart)
    {
        // On the dialplan path a call's later fetches log it again: the first time it was taken counts.
        var takenAt = daemonCalls.All.GroupBy(c => c.Uuid, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Min(c => c.At), StringComparer.Ordinal);
        foreach (var call in calls.Where(c => c.Fault is null && !c.AsExpected && c.Kind.Picker() is not null))
        {
            var (from, to) = (wallStart + (call.StartedAt - start), wallStart + (call.EndedAt - start));
            foreach (var line in lines.Where(l => l.At >= from && l.At <= to))
            {
                if (PickedUp().Match(line.Text) is not { Success: true } m || m.Groups["picker"].Value != call.Kind.Picker())
                {
                    continue;
                }
                var caller = m.Groups["caller"].Value;
                // A call the daemon never took rings at most the fallback's timeout (20 s, vars.xml) after its fault.
                var fault = _faults.FirstOrDefault(f => takenAt.TryGetValue(caller, out var at)
                    ? at >= f.StartWall - LongestCall && at <= f.EndWall + Fault.Settle
                    : line.At >= f.StartWall && line.At <= f.EndWall + FallbackRings);
                if (fault is not null)
                {
                    call.Fault = fault;
                    call.Outcome += $" (its picker took {caller}, {(takenAt.ContainsKey(caller) ? "a call the daemon took during the fault" : "a call no daemon took: the fallback's")})";
                    break;
                }
            }
        }
    }

    private static readonly TimeSpan FallbackRings = TimeSpan.FromMinutes(1);

    [GeneratedRegex(@"outcome picked up: (?<picker>\S+) took the call ringing on \S+ \(caller (?<caller>[0-9a-f-]{36})\)")]
    private static partial Regex PickedUp();

    private async Task<List<SoakCall>> PlaceCallsAsync(SoakTraffic traffic, TimeSpan start)
    {
        var placed = new List<Task<SoakCall>>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; ; i++)
        {
            var due = TimeSpan.FromSeconds(i / settings.CallsPerSecond);
            if (due >= settings.Length)
            {
                break;
            }
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, s.Cancellation);
            }
            var (index, kind) = (i, SoakKinds.Round[i % SoakKinds.Round.Length]);
            placed.Add(Task.Run(() => traffic.RunAsync(kind, index, SipClock.Now, s.Cancellation)));
        }
        return [.. await Task.WhenAll(placed)];
    }

    /// <summary>SIGKILL to the daemon, then a start as systemd would do it; later FreeSWITCH stopped and started, its phones registered again.</summary>
    private async Task InjectFaultsAsync(TimeSpan start, IReadOnlyDictionary<string, string> hook)
    {
        await DelayUntilAsync(start + settings.DaemonKillAt);
        _killMark = s.Daemon.Log.Mark();
        var kill = new Fault("daemon killed (SIGKILL), started again", SipClock.Now, DateTime.Now);
        _faults.Add(kill);
        s.Daemon.Kill();
        await s.Daemon.StartAsync(StartTimeout, s.Cancellation, settings: hook);
        (kill.End, kill.EndWall) = (SipClock.Now, DateTime.Now);

        await DelayUntilAsync(start + settings.SwitchRestartAt);
        var restart = new Fault("FreeSWITCH stopped and started, phones registered again", SipClock.Now, DateTime.Now);
        _faults.Add(restart);
        await s.Switch.StopAsync();
        await s.Switch.StartAsync(StartTimeout, s.Cancellation);
        await Task.WhenAll(s.Fixture.RegisterPhonesAsync(), RegisterSoakPhonesAsync());
        await s.Daemon.WaitForHealthAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(30), s.Cancellation);
        (restart.End, restart.EndWall) = (SipClock.Now, DateTime.Now);
    }

    private async Task SampleMemoryAsync(TimeSpan start)
    {
        foreach (var at in settings.MemorySamplesAt)
        {
            // Five reads a second apart, the last at the sample's time.
            await DelayUntilAsync(start + at - TimeSpan.FromSeconds(4));
            _memory.Add(await MemorySample.TakeAsync(s.Daemon, at, s.Cancellation));
        }
    }

    /// <summary>Every 30 s the phones forget calls over a minute old, so the test's own memory and lookups stay small.</summary>
    private async Task ForgetLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
                foreach (var phone in _phones.Values.Concat(RealSwitch.Users.Select(s.Phone)))
                {
                    phone.Forget(TimeSpan.FromMinutes(1));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task RegisterSoakPhonesAsync() => Task.WhenAll(_phones.Values.Select(p => p.RegisterAsync(TimeSpan.FromSeconds(10))));

    /// <summary><c>show channels count</c> once the last calls had time to end (without a hupall): what the soak left behind.</summary>
    private async Task<int> ChannelsAtEndAsync()
    {
        var deadline = SipClock.Now + TimeSpan.FromSeconds(20);
        while (true)
        {
            var count = int.Parse(ChannelCount().Match(await s.Switch.ApiAsync("show channels count", s.Cancellation)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (count == 0 || SipClock.Now > deadline)
            {
                return count;
            }
            await Task.Delay(500, s.Cancellation);
        }
    }

    /// <summary>Waits until every call the daemon took has its call.ended at the receiver (or 60 s pass): delivery may lag the calls.</summary>
    private async Task WaitForEventsAsync(WebhookReceiver receiver, DaemonCalls calls)
    {
        var wanted = calls.Expected.Select(c => c.Uuid).ToHashSet(StringComparer.Ordinal);
        var deadline = SipClock.Now + TimeSpan.FromSeconds(60);
        while (true)
        {
            var ended = receiver.Events.Where(e => e.Type == "call.ended").Select(e => e.CallUuid).ToHashSet(StringComparer.Ordinal);
            var queued = (await s.MetricsAsync()).Value("eslcallflow_call_events_queued", ("destination", HookName));
            if ((wanted.IsSubsetOf(ended) && queued == 0) || SipClock.Now > deadline)
            {
                return;
            }
            await Task.Delay(500, s.Cancellation);
        }
    }

    private async Task DelayUntilAsync(TimeSpan at)
    {
        var wait = at - SipClock.Now;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, s.Cancellation);
        }
    }
}
