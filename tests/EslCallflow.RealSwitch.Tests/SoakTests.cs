using EslCallflow.RealSwitch.Tests.Soak;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// Issue 32's soak: mixed traffic on the real switch for ESLCALLFLOW_SOAK_MINUTES (30 for BENCHMARKS.md) at
/// ESLCALLFLOW_SOAK_RATE calls/s (5 unless set), with the daemon killed and FreeSWITCH restarted on the way
/// (<see cref="SoakRun"/>). Its summary is written to the test output whether it passes or not.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class SoakTests(RealSwitch fixture, ITestOutputHelper output)
{
    [SoakFact]
    public Task Mixed_traffic_through_a_daemon_kill_and_a_FreeSWITCH_restart_loses_no_call_no_event_and_no_memory()
    {
        var settings = SoakSettings.FromEnvironment()!;
        return fixture.RunAsync(output, s => new SoakRun(s, settings).RunAsync(), settings.Length + TimeSpan.FromMinutes(10));
    }
}
