using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// A caller who gives up while the daemon is still deciding: its CANCEL may cross the ring group's bridge on the
/// wire, and FreeSWITCH then skips the bridge on the hung-up channel without a completion
/// (switch_core_session.c, switch_core_session_execute_application_get_flags) while the lingering socket keeps the
/// channel. Whatever the timing, the caller gets its 487, the daemon ends the call (a caller hangup, not an error),
/// and the switch holds no channel afterwards.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class CallerCancelTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);
    // From the caller's first response (100 Trying) to its CANCEL: around the socket's connect and the daemon's decision.
    private static readonly int[] CancelAfterMs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30];
    private const int Rounds = 3;

    [RealSwitchFact]
    public Task A_caller_cancelling_as_the_ring_group_decides_gets_487_and_leaves_no_channel_and_no_daemon_call() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var placed = 0;
        foreach (var afterMs in CancelAfterMs)
        {
            for (var round = 1; round <= Rounds; round++, placed++)
            {
                var caller = s.Phone("1005").Dial("7301");
                await caller.Phone.WaitAsync(() => caller.Responses.Count > 0 ? caller : null, Soon, "the caller's 100 Trying");
                await Task.Delay(afterMs, s.Cancellation);
                await caller.CancelAsync(s.Cancellation);
                var final = await caller.FinalAsync(Soon);
                Assert.True(final.Code == 487, $"cancelled {afterMs} ms after its 100 (round {round}): {caller}");
                // Under the switch's sessions-per-second limit (switch.conf.xml), which would answer 503 instead.
                await Task.Delay(150, s.Cancellation);
            }
        }
        // The daemon gives up on a skipped bridge Esl:Outbound:CompletionGraceAfterHangup (5 s) after the hangup.
        await s.NoChannelsAsync(TimeSpan.FromSeconds(15));
        var after = await s.MetricsAsync();
        Assert.Equal(0, after.Value("eslcallflow_active_calls"));
        Assert.Equal(before.CallOutcomes("error"), after.CallOutcomes("error"));
        var lines = s.DaemonLines();
        Assert.DoesNotContain(lines, l => l.Contains(" ERR ", StringComparison.Ordinal) || l.Contains("flow failed", StringComparison.Ordinal));
        var skipped = lines.Count(l => l.Contains("will not complete", StringComparison.Ordinal));
        var gone = after.CallOutcomes("caller_gone") - before.CallOutcomes("caller_gone");
        s.Report($"{placed} calls cancelled 0 to {CancelAfterMs[^1]} ms after their 100 Trying: all got 487, no channel left; the daemon ended {gone} as caller_gone, of which {skipped} had a bridge FreeSWITCH skipped on the hung-up channel");
    }, TimeSpan.FromMinutes(4));
}
