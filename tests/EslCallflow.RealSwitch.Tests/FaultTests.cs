using System.Net;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>Faults on the real switch: the daemon killed, FreeSWITCH restarted, the event socket cut.</summary>
[Collection(RealSwitchCollection.Name)]
public sealed class FaultTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    [RealSwitchFact]
    public Task A_call_keeps_ringing_through_a_daemon_kill_and_a_pickup_after_the_restart_finds_it() => fixture.RunAsync(output, async s =>
    {
        var caller = s.Phone("1005").Dial("7201");
        var ringing = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"));
        await s.DaemonCallAsync("7201");

        s.Daemon.Kill();
        var killedAt = SipClock.Now;
        await Task.Delay(TimeSpan.FromSeconds(1), s.Cancellation);
        Assert.True(ringing.All(r => r.IsRinging) && !caller.IsEnded, "the call stopped ringing when the daemon died: " + string.Join("; ", ringing));

        await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), s.Cancellation);
        var restarted = SipClock.Now - killedAt;
        Assert.True(ringing.All(r => r.IsRinging) && !caller.IsEnded, "the call stopped ringing while the daemon restarted: " + string.Join("; ", ringing));
        var picker = s.Phone("1006").Dial("8000");

        var picked = await picker.AnsweredAsync(TimeSpan.FromSeconds(3));
        await caller.AnsweredAsync(Soon);
        await s.PickedUpLoggedAsync();
        s.Report($"daemon back (/healthz 200) {Scene.Seconds(restarted)} s after SIGKILL; pickup answered {Scene.Ms(picked.At - picker.InviteSentAt)} ms after the INVITE");
        await picker.HangUpAsync(s.Cancellation);
    }, TimeSpan.FromMinutes(3));

    [RealSwitchFact]
    public Task A_FreeSWITCH_restart_turns_health_red_then_green_and_the_next_call_works() => fixture.RunAsync(output, async s =>
    {
        var stoppedAt = SipClock.Now;
        await s.Switch.StopAsync();
        await s.Daemon.WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10), s.Cancellation);
        var red = SipClock.Now - stoppedAt;

        var startedAt = SipClock.Now;
        await s.Switch.StartAsync(TimeSpan.FromSeconds(90), s.Cancellation);
        await s.Fixture.RegisterPhonesAsync();
        await s.Daemon.WaitForHealthAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(30), s.Cancellation);
        var green = SipClock.Now - startedAt;

        s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromMilliseconds(500));
        var call = s.Phone("1005").Dial("7201");
        await call.AnsweredAsync(Soon);
        s.Report($"/healthz 503 {Scene.Seconds(red)} s after the stop began; 200 {Scene.Seconds(green)} s after the switch was started again (start-up included); next call answered");
        await call.HangUpAsync(s.Cancellation);
    }, TimeSpan.FromMinutes(4));

    [RealSwitchFact]
    public Task An_event_socket_cut_leaves_calls_up_and_the_rebuilt_feed_still_finds_ringing_calls() => fixture.RunAsync(output, async s =>
    {
        await using var link = new CuttableLink(s.Switch.EslPort);
        await s.Daemon.StopAsync();
        try
        {
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), s.Cancellation, inboundPort: link.Port);
            var before = await s.MetricsAsync();
            s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromMilliseconds(300));
            var talking = s.Phone("1005").Dial("7107");
            await talking.AnsweredAsync(Soon);
            var ringingCaller = s.Phone("1004").Dial("7203");
            var ringing = await s.Phone("1003").InviteAsync(Soon);
            await Task.Delay(Wire.ReactionTime, s.Cancellation);

            link.Cut();
            var cutAt = SipClock.Now;
            await s.MetricAsync(m => m.Value("eslcallflow_esl_reconnects_total"), before.Value("eslcallflow_esl_reconnects_total") + 1, TimeSpan.FromSeconds(15));
            await s.Daemon.WaitForHealthAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(15), s.Cancellation);
            var back = SipClock.Now - cutAt;
            await Task.Delay(TimeSpan.FromSeconds(1), s.Cancellation);
            Assert.True(!talking.IsEnded && s.Phone("1001").Incoming.Single().ByeReceivedAt is null, "the call in progress was hung up: " + talking);
            Assert.True(ringing.IsRinging && !ringingCaller.IsEnded, "the ringing call stopped: " + ringingCaller);

            var picker = s.Phone("1006").Dial("8000");
            await picker.AnsweredAsync(TimeSpan.FromSeconds(3));
            await ringingCaller.AnsweredAsync(Soon);
            await s.PickedUpLoggedAsync();
            var reconnects = (await s.MetricsAsync()).Value("eslcallflow_esl_reconnects_total") - before.Value("eslcallflow_esl_reconnects_total");
            s.Report($"feed back (/healthz 200, {reconnects} reconnect) {Scene.Seconds(back)} s after the cut; the call in progress stayed up; the ringing call was picked up after it");
            await talking.HangUpAsync(s.Cancellation);
            await picker.HangUpAsync(s.Cancellation);
        }
        finally
        {
            await s.Daemon.StopAsync();
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }, TimeSpan.FromMinutes(3));
}
