using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// What the dialplan fast path costs a call that is not the daemon's, reported (not asserted): FreeSWITCH's CPU per
/// native call (1005 dials 1001, the static dialplan's bridge, 1001 busy at once) with mod_xml_curl loaded (every
/// lookup fetches, the daemon answers "not found") and with it unloaded, in alternating bursts. BENCHMARKS.md keeps
/// the figures.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class NotFoundCostTests(RealSwitch fixture, ITestOutputHelper output)
{
    private const int Rounds = 4;
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
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var loaded in round % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    await s.Switch.ApiAsync(loaded ? "load mod_xml_curl" : "unload mod_xml_curl", s.Cancellation);
                    await Task.Delay(300, s.Cancellation);
                    var before = ProcessCpu.Seconds(switchPid);
                    await BurstAsync(s, CallsPerBurst);
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
        Assert.True(fetches >= WarmUpCalls + with.Calls, $"only {fetches} fetches reached the daemon");
    }, TimeSpan.FromMinutes(6));

    private static async Task BurstAsync(Scene s, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var paced = Task.Delay(CallSpacing, s.Cancellation);
            var call = s.Phone("1005").Dial("1001");
            await call.FinalAsync(TimeSpan.FromSeconds(5));
            await paced;
        }
    }
}
