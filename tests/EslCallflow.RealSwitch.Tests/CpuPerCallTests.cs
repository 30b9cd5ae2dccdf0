using System.Globalization;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// CPU per call on the real switch, reported (not asserted): FreeSWITCH's (all its threads) and the daemon's, for
/// answered calls through the daemon (7301, a ring group of 1001) and through the native dialplan (1001), in
/// alternating bursts so that FreeSWITCH's drift over a run falls on both paths alike. BENCHMARKS.md keeps the figures.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class CpuPerCallTests(RealSwitch fixture, ITestOutputHelper output)
{
    // 200 calls a path: with 100, one path's figure moved by 2 to 3 ms between runs of the same tree.
    private const int Rounds = 8;
    private const int CallsPerBurst = 25;
    private static readonly TimeSpan CallSpacing = TimeSpan.FromMilliseconds(125);
    private const int WarmUpCalls = 100;
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);

    [RealSwitchFact]
    public Task Cpu_per_answered_call_through_the_daemon_and_through_the_native_dialplan() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.Zero);
        var switchPid = s.Switch.ProcessId ?? throw new InvalidOperationException("FreeSWITCH is not running");
        var daemonPid = s.Daemon.ProcessId ?? throw new InvalidOperationException("the daemon is not running");
        var totals = new Dictionary<string, (double Switch, double Daemon, int Calls)> { ["7301"] = default, ["1001"] = default };
        // Warm: the daemon's hot methods are compiled again at tier 1 after 30 calls each (and then some); a
        // profile of the first 80 calls was half JIT. A daemon in service has long been past that.
        await BurstAsync(s, "7301", WarmUpCalls);
        await BurstAsync(s, "1001", WarmUpCalls);
        // What each process spends with no call at all (timers, polling threads), so that a figure per call can be
        // read against it: at 8 calls/s, 1 ms/s idle is 0.125 ms per call.
        await Task.Delay(1000, s.Cancellation);
        var (switchIdle, daemonIdle) = (ProcessCpu.Seconds(switchPid), ProcessCpu.Seconds(daemonPid));
        await Task.Delay(IdleWindow, s.Cancellation);
        (switchIdle, daemonIdle) = (ProcessCpu.Seconds(switchPid) - switchIdle, ProcessCpu.Seconds(daemonPid) - daemonIdle);
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var number in new[] { "7301", "1001" })
            {
                await using var profiler = await BurstProfiler.StartAsync(number, round, switchPid, daemonPid, s.Cancellation);
                var (switchBefore, daemonBefore) = (ProcessCpu.Seconds(switchPid), ProcessCpu.Seconds(daemonPid));
                await BurstAsync(s, number, CallsPerBurst);
                // The last call's teardown (BYEs, CHANNEL_DESTROY) is part of its cost.
                await Task.Delay(300, s.Cancellation);
                var (switchAfter, daemonAfter) = (ProcessCpu.Seconds(switchPid), ProcessCpu.Seconds(daemonPid));
                var t = totals[number];
                totals[number] = (t.Switch + switchAfter - switchBefore, t.Daemon + daemonAfter - daemonBefore, t.Calls + CallsPerBurst);
            }
        }

        var (viaDaemon, native) = (totals["7301"], totals["1001"]);
        s.Report($"CPU per answered call, {viaDaemon.Calls} calls per path in {Rounds} alternating bursts (ms; /proc/<pid>/stat, 10 ms ticks):");
        s.Report($"  through the daemon (7301): FreeSWITCH {Ms(viaDaemon.Switch, viaDaemon.Calls)}, daemon {Ms(viaDaemon.Daemon, viaDaemon.Calls)}, together {Ms(viaDaemon.Switch + viaDaemon.Daemon, viaDaemon.Calls)}");
        s.Report($"  native dialplan (1001):    FreeSWITCH {Ms(native.Switch, native.Calls)} (daemon meanwhile {Ms(native.Daemon, native.Calls)}: its channel feed)");
        s.Report($"  idle, no call: FreeSWITCH {switchIdle * 1000 / IdleWindow.TotalSeconds:F1} ms/s, daemon {daemonIdle * 1000 / IdleWindow.TotalSeconds:F1} ms/s");
        s.Report($"  ratio FreeSWITCH / native FreeSWITCH: {viaDaemon.Switch / native.Switch:F2}");
        s.Report($"  ratio (FreeSWITCH + daemon) / native FreeSWITCH: {(viaDaemon.Switch + viaDaemon.Daemon) / native.Switch:F2}");
        Assert.Equal(viaDaemon.Calls, native.Calls);
    }, TimeSpan.FromMinutes(6));

    internal static async Task BurstAsync(Scene s, string number, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            // Paced: FreeSWITCH refuses new sessions beyond sessions-per-second (30 unless switch.conf.xml says
            // otherwise: "Throttle Error!", switch_core_session.c), and each call here is two sessions.
            var paced = Task.Delay(CallSpacing, s.Cancellation);
            var call = s.Phone("1005").Dial(number);
            await call.AnsweredAsync(TimeSpan.FromSeconds(5));
            await call.HangUpAsync(s.Cancellation);
            await paced;
        }
    }

    internal static string Ms(double seconds, int calls) => (seconds * 1000 / calls).ToString("F2", CultureInfo.InvariantCulture);
}
