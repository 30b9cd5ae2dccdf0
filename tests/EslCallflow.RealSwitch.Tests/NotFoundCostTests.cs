using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// What the dialplan fast path costs a call that is not the daemon's, reported (not asserted): the time it adds to
/// the call's set-up (1005 dials 1001, the static dialplan's bridge: from the caller's INVITE to 1001's, as
/// PostDialDelay measures it) and FreeSWITCH's CPU per call, with mod_xml_curl loaded (every lookup fetches, the daemon
/// answers "not found") and with it unloaded, in alternating bursts. BENCHMARKS.md keeps the figures.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class NotFoundCostTests(RealSwitch fixture, ITestOutputHelper output)
{
    private const int Rounds = 8;
    private const int CallsPerBurst = 60;
    private const int WarmUpCalls = 60;
    private const int Lookups = 1000;
    private static readonly TimeSpan CallSpacing = TimeSpan.FromMilliseconds(125);

    [DialplanFact]
    public Task FreeSWITCH_CPU_of_a_native_call_with_and_without_the_not_found_fetch() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.Busy(TimeSpan.Zero);
        var switchPid = s.Switch.ProcessId ?? throw new InvalidOperationException("FreeSWITCH is not running");
        var daemonPid = s.Daemon.ProcessId ?? throw new InvalidOperationException("the daemon is not running");
        var fetchesBefore = (await s.MetricsAsync()).Value("eslcallflow_dialplan_fetches_total", ("result", "not_found"));
        await BurstAsync(s, WarmUpCalls);
        var totals = new Dictionary<bool, (double Cpu, double Daemon, int Calls)> { [true] = default, [false] = default };
        var delays = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var loaded in round % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    await s.Switch.ApiAsync(loaded ? "load mod_xml_curl" : "unload mod_xml_curl", s.Cancellation);
                    await Task.Delay(300, s.Cancellation);
                    var (before, daemonBefore) = (ProcessCpu.Seconds(switchPid), ProcessCpu.Seconds(daemonPid));
                    delays[loaded].AddRange(await BurstAsync(s, CallsPerBurst));
                    await Task.Delay(300, s.Cancellation);
                    var t = totals[loaded];
                    totals[loaded] = (t.Cpu + ProcessCpu.Seconds(switchPid) - before, t.Daemon + ProcessCpu.Seconds(daemonPid) - daemonBefore, t.Calls + CallsPerBurst);
                }
            }
        }
        finally
        {
            await s.Switch.ApiAsync("load mod_xml_curl", CancellationToken.None);
        }

        // The fetch alone, without a call's other work around it: `xml_locate dialplan` runs the same lookup
        // (switch_xml.c switch_xml_locate, every binding first) on the api's own thread, the same way each time.
        var alone = new Dictionary<bool, (double Cpu, double Wall)>();
        try
        {
            foreach (var loaded in new[] { true, false, true, false })
            {
                await s.Switch.ApiAsync(loaded ? "load mod_xml_curl" : "unload mod_xml_curl", s.Cancellation);
                var (cpu, wall) = await LocateAsync(s, switchPid, Lookups);
                alone[loaded] = alone.TryGetValue(loaded, out var t) ? (t.Cpu + cpu, t.Wall + wall) : (cpu, wall);
            }
        }
        finally
        {
            await s.Switch.ApiAsync("load mod_xml_curl", CancellationToken.None);
        }

        var fetches = (await s.MetricsAsync()).Value("eslcallflow_dialplan_fetches_total", ("result", "not_found")) - fetchesBefore;
        var (with, without) = (totals[true], totals[false]);
        s.Report($"FreeSWITCH CPU per native call, {with.Calls} calls each way in {Rounds} alternating rounds (ms; /proc/<pid>/stat, 10 ms ticks):");
        s.Report($"  mod_xml_curl loaded (a \"not found\" fetch per call): {CpuPerCallTests.Ms(with.Cpu, with.Calls)}");
        s.Report($"  mod_xml_curl unloaded (the static dialplan alone):   {CpuPerCallTests.Ms(without.Cpu, without.Calls)}");
        s.Report($"  the fetch's cost: {CpuPerCallTests.Ms(with.Cpu - without.Cpu, with.Calls)} ms per call; the daemon answered {fetches:0} \"not found\" fetches");
        // The daemon follows these calls' channels either way (its channel feed); the difference is its answer to the fetch.
        s.Report($"  the daemon's CPU per call meanwhile: {CpuPerCallTests.Ms(with.Daemon, with.Calls)} with the fetch, {CpuPerCallTests.Ms(without.Daemon, without.Calls)} without");
        s.Report($"set-up time of the same calls, the caller's INVITE to 1001's (ms):");
        s.Report("  mod_xml_curl loaded:   " + PostDialDelayTests.Summary(delays[true]));
        s.Report("  mod_xml_curl unloaded: " + PostDialDelayTests.Summary(delays[false]));
        s.Report($"  added by the \"not found\" fetch (median): {PostDialDelayTests.Median(delays[true]) - PostDialDelayTests.Median(delays[false]):F2} ms");
        s.Report($"the lookup alone (api xml_locate dialplan, {2 * Lookups} each way, alternated), per lookup (ms):");
        s.Report($"  mod_xml_curl loaded:   FreeSWITCH CPU {CpuPerCallTests.Ms(alone[true].Cpu, 2 * Lookups)}, wall {alone[true].Wall * 1000 / (2 * Lookups):F3}");
        s.Report($"  mod_xml_curl unloaded: FreeSWITCH CPU {CpuPerCallTests.Ms(alone[false].Cpu, 2 * Lookups)}, wall {alone[false].Wall * 1000 / (2 * Lookups):F3}");
        s.Report($"  the fetch's cost: FreeSWITCH CPU {CpuPerCallTests.Ms(alone[true].Cpu - alone[false].Cpu, 2 * Lookups)}, wall {(alone[true].Wall - alone[false].Wall) * 1000 / (2 * Lookups):F3}");
        Assert.True(fetches >= WarmUpCalls + with.Calls, $"only {fetches} fetches reached the daemon");
    }, TimeSpan.FromMinutes(8));

    /// <summary><paramref name="lookups"/> dialplan lookups, one after another: FreeSWITCH's CPU and the wall time, in seconds.</summary>
    private static async Task<(double Cpu, double Wall)> LocateAsync(Scene s, int switchPid, int lookups)
    {
        for (var i = 0; i < 50; i++)
        {
            await s.Switch.ApiAsync("xml_locate dialplan", s.Cancellation);
        }
        var before = ProcessCpu.Seconds(switchPid);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < lookups; i++)
        {
            await s.Switch.ApiAsync("xml_locate dialplan", s.Cancellation);
        }
        return (ProcessCpu.Seconds(switchPid) - before, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Paced native calls, each refused at once by 1001; returns each call's set-up time in ms.</summary>
    private static async Task<List<double>> BurstAsync(Scene s, int calls)
    {
        var delays = new List<double>(calls);
        for (var i = 0; i < calls; i++)
        {
            var paced = Task.Delay(CallSpacing, s.Cancellation);
            var seen = s.Phone("1001").Incoming.Count;
            var call = s.Phone("1005").Dial("1001");
            var invite = await s.Phone("1001").InviteAsync(TimeSpan.FromSeconds(5), seen + 1);
            await call.FinalAsync(TimeSpan.FromSeconds(5));
            delays.Add((invite.ReceivedAt - call.InviteSentAt).TotalMilliseconds);
            await paced;
        }
        return delays;
    }
}
