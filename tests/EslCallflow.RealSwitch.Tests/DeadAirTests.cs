using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// A picker that hangs up right after its 200 OK (issue 32 part 1): FreeSWITCH can leave the caller answered with
/// nobody (switch_ivr_bridge.c uuid_bridge_on_soft_execute); the caller must get a BYE within 2 s every time, and
/// the switch must hold no channel afterwards. Group pickup (8000, a ring group's call) and directed pickup
/// (<c>*7</c>1001, a plain dialplan call).
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class DeadAirTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ByeWithin = TimeSpan.FromSeconds(2);
    private static readonly int[] HangUpAfterMs = [0, 5, 20, 50, 200];
    private const int Rounds = 3;

    [RealSwitchTheory]
    [InlineData("8000", "7201", "1006")]
    [InlineData("*71001", "1001", "1004")]
    public Task A_caller_whose_picker_hangs_up_at_once_gets_a_bye_and_no_channel_is_left(string code, string called, string pickerUser) => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var slowest = TimeSpan.Zero;
        // With ESLCALLFLOW_CAPTURE_DIR set, the channel events of the first round are recorded for the fake switch.
        var capture = WireCapture.Folder is not null
            ? await WireCapture.StartAsync(s.Switch.EslPort, s.Switch.EslPassword, "CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_CALLSTATE CHANNEL_STATE CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP CHANNEL_DESTROY", s.Cancellation)
            : null;
        foreach (var afterMs in HangUpAfterMs)
        {
            for (var round = 1; round <= Rounds; round++)
            {
                var seen = s.Phone("1001").Incoming.Count;
                var caller = s.Phone("1005").Dial(called);
                var ringing = await s.Phone("1001").InviteAsync(Soon, seen + 1);
                await Task.Delay(Wire.ReactionTime, s.Cancellation);

                var picker = s.Phone(pickerUser).Dial(code, hangUpAfterAnswer: TimeSpan.FromMilliseconds(afterMs));
                await picker.AnsweredAsync(Soon);
                await caller.AnsweredAsync(Soon);
                await picker.Phone.WaitAsync(() => picker.ByeSentAt is not null ? picker : null, Soon, "the picker's own BYE");
                await caller.Phone.WaitAsync(() => caller.ByeReceivedAt is not null ? caller : null, ByeWithin + TimeSpan.FromSeconds(1),
                    $"the caller's BYE after the picker hung up {afterMs} ms after its 200 (round {round})");
                var took = caller.ByeReceivedAt!.Value - picker.ByeSentAt!.Value;
                slowest = took > slowest ? took : slowest;
                s.Report($"{code}, picker gone {afterMs} ms after its 200, round {round}: caller's BYE {Scene.Ms(took)} ms after the picker's");
                Assert.True(took <= ByeWithin, $"the caller waited {Scene.Ms(took)} ms for its BYE");
                await ringing.CancelledAsync(Soon);
                await s.NoChannelsAsync(Soon);
                if (capture is not null)
                {
                    await capture.SaveAsync(Path.Combine(WireCapture.Folder!, $"events-stranded-pickup-{(code == "8000" ? "group" : "directed")}-json.txt"), [
                        $"1005 calls {called}; 1001 rings; {pickerUser} dials {code} and sends BYE as soon as it has ACKed its 200 OK.",
                        $"caller {caller.CallId} (SIP Call-ID), picker {picker.CallId}: the caller's BYE came {Scene.Ms(took)} ms after the picker's.",
                    ]);
                    capture = null;
                }
            }
        }
        var after = await s.MetricsAsync();
        var stranded = after.Total("eslcallflow_stranded_calls_ended_total") - before.Total("eslcallflow_stranded_calls_ended_total");
        s.Report($"{code}: {HangUpAfterMs.Length * Rounds} calls, slowest caller BYE {Scene.Ms(slowest)} ms after the picker's; the daemon ended {stranded} call(s) FreeSWITCH left with nobody");
        foreach (var line in s.DaemonLines().Where(l => l.Contains("left answered with nobody", StringComparison.Ordinal)))
        {
            s.Report("  " + line);
        }
    }, TimeSpan.FromMinutes(4));
}
