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
    private static readonly TimeSpan CallSpacing = TimeSpan.FromMilliseconds(125);

    [DialplanFact]
    public Task FreeSWITCH_CPU_of_a_native_call_with_and_without_the_not_found_fetch() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.Busy(TimeSpan.Zero);
        var switchPid = s.Switch.ProcessId ?? throw new InvalidOperationException("FreeSWITCH is not running");
        var fetchesBefore = (await s.MetricsAsync()).Value("eslcallflow_dialplan_fetches_total", ("result", "not_found"));
        await BurstAsync(s, WarmUpCalls);
        var totals = new Dictionary<bool, (double Cpu, int Calls)> { [true] = default, [false] = default };
        var delays = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var loaded in round % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    await s.Switch.ApiAsync(loaded ? "load mod_xml_curl" : "unload mod_xml_curl", s.Cancellation);
                    await Task.Delay(300, s.Cancellation);
                    var before = ProcessCpu.Seconds(switchPid);
                    delays[loaded].AddRange(await BurstAsync(s, CallsPerBurst));
                    await Task.Delay(300, s.Cancellation);
                    var t = totals[loaded];
                    totals[loaded] = (t.Cpu + ProcessCpu.Seconds(switchPid) - before, t.Calls + CallsPerBurst);
                }
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
        s.Report($"set-up time of the same calls, the caller's INVITE to 1001's (ms):");
        s.Report("  mod_xml_curl loaded:   " + PostDialDelayTests.Summary(delays[true]));
        s.Report("  mod_xml_curl unloaded: " + PostDialDelayTests.Summary(delays[false]));
        s.Report($"  added by the \"not found\" fetch (median): {PostDialDelayTests.Median(delays[true]) - PostDialDelayTests.Median(delays[false]):F2} ms");
        Assert.True(fetches >= WarmUpCalls + with.Calls, $"only {fetches} fetches reached the daemon");
    }, TimeSpan.FromMinutes(8));

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
