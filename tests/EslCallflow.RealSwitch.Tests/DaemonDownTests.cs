using System.Net;
using System.Net.Sockets;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// What callers get when no daemon takes the call (freeswitch-conf/dialplan/eslcallflow_down.xml; README, "When the
/// daemon is down"): a second daemon target, the fallback ring for a ring group number, 503 otherwise, and the daemon's
/// own handling again once it is back.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class DaemonDownTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    [RealSwitchFact]
    public Task With_the_daemon_stopped_a_ring_group_number_rings_the_fallback_and_after_the_restart_the_daemon_takes_the_next_call() => fixture.RunAsync(output, async s =>
    {
        await s.Daemon.StopAsync();
        try
        {
            // The bundled fallback: eslcallflow_fallback_dial=user/1001@$${domain} (vars.xml).
            s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromMilliseconds(300));
            var call = s.Phone("1005").Dial("7000");

            var fallback = await s.Phone("1001").InviteAsync(Soon);
            var answered = await call.AnsweredAsync(Soon);
            var warning = await s.SwitchLineAsync(Soon, "EslCallflow: no daemon at", "to 7000");
            s.Report($"daemon stopped: 1001 (the fallback) got its INVITE {Scene.Ms(fallback.ReceivedAt - call.InviteSentAt)} ms after the caller's; answered {Scene.Ms(answered.At - call.InviteSentAt)} ms after it");
            s.Report($"FreeSWITCH: {warning.Trim()}");
            await s.Phone("1002").NoInviteAsync(TimeSpan.FromMilliseconds(200), "only the fallback rings while the daemon is down");
            var callerUuid = warning[(warning.IndexOf("took call ", StringComparison.Ordinal) + "took call ".Length)..].Split(' ')[0];
            Assert.Equal("true", (await s.Switch.ApiAsync($"uuid_getvar {callerUuid} eslcallflow_fallback", s.Cancellation)).Trim());
            await call.HangUpAsync(s.Cancellation);
        }
        finally
        {
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), s.Cancellation);
        }

        foreach (var phone in new[] { "1001", "1002", "1003", "1004", "1006" })
        {
            s.Phone(phone).Reset();
        }
        var next = s.Phone("1005").Dial("7000");
        var uuid = await s.DaemonCallAsync("7000");
        var rung = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"), s.Phone("1003"), s.Phone("1006"));
        s.Report($"daemon back: call {uuid} to 7000 taken by the daemon, its ring group rang {string.Join(", ", rung.Select(r => r.Phone.User))}");
        await next.CancelAsync(s.Cancellation);
    }, TimeSpan.FromMinutes(3));

    [RealSwitchFact]
    public Task With_the_daemon_stopped_a_pickup_code_and_a_ring_group_without_fallback_get_503_at_once() => fixture.RunAsync(output, async s =>
    {
        await s.Daemon.StopAsync();
        try
        {
            var pickup = await s.Phone("1006").Dial("8000").FinalAsync(Soon);
            await s.Switch.ApiAsync("global_setvar eslcallflow_fallback_dial=", s.Cancellation);
            var ringGroup = s.Phone("1005").Dial("7000");
            var refused = await ringGroup.FinalAsync(Soon);

            s.Report($"daemon stopped: 8000 got {pickup.Code} {pickup.Reason}; 7000 without a fallback got {refused.Code} {refused.Reason} {Scene.Ms(refused.At - ringGroup.InviteSentAt)} ms after its INVITE");
            Assert.Equal((503, "Service Unavailable"), (pickup.Code, pickup.Reason));
            Assert.Equal((503, "Service Unavailable"), (refused.Code, refused.Reason));
            Assert.True(refused.At - ringGroup.InviteSentAt < TimeSpan.FromSeconds(1), $"the 503 came {Scene.Ms(refused.At - ringGroup.InviteSentAt)} ms after the INVITE");
            await s.Phone("1001").NoInviteAsync(TimeSpan.FromMilliseconds(200), "no fallback is configured");
        }
        finally
        {
            await s.Switch.ApiAsync("global_setvar eslcallflow_fallback_dial=user/1001@127.0.0.1", CancellationToken.None);
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }, TimeSpan.FromMinutes(3));

    [RealSwitchFact]
    public Task With_the_daemon_stopped_a_busy_fallback_gives_the_caller_486() => fixture.RunAsync(output, async s =>
    {
        await s.Daemon.StopAsync();
        try
        {
            s.Phone("1001").Behaviour = PhoneBehaviour.Busy(TimeSpan.FromMilliseconds(200));
            var call = s.Phone("1005").Dial("7000");

            await s.Phone("1001").InviteAsync(Soon);
            var final = await call.FinalAsync(Soon);

            s.Report($"daemon stopped, the fallback (1001) busy: the caller got {final.Code} {final.Reason}");
            Assert.Equal(486, final.Code);
        }
        finally
        {
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }, TimeSpan.FromMinutes(3));

    [RealSwitchFact]
    public Task A_second_daemon_target_takes_the_call_when_the_first_refuses_it() => fixture.RunAsync(output, async s =>
    {
        // The socket's own targets: on the fast path they apply when the fetch fails (README, "Two ways in").
        await using var socketOnly = await SocketPathOnly.StartAsync(s.Switch, s.Cancellation);
        var refusing = FreePorts.Next();
        var target = $"127.0.0.1:{refusing}|127.0.0.1:{s.Switch.DaemonCallPort}";
        await s.Switch.ApiAsync($"global_setvar eslcallflow_socket={target}", s.Cancellation);
        try
        {
            var call = s.Phone("1005").Dial("7000");
            var uuid = await s.DaemonCallAsync("7000");
            var invite = await s.Phone("1001").InviteAsync(Soon);

            var tried = s.SwitchLines().Where(l => l.Contains("Trying host", StringComparison.Ordinal) || l.Contains("Socket Error", StringComparison.Ordinal)).ToList();
            s.Report($"eslcallflow_socket={target}: call {uuid} taken by the daemon; first INVITE to a member {Scene.Ms(invite.ReceivedAt - call.InviteSentAt)} ms after the caller's");
            foreach (var line in tried)
            {
                s.Report($"FreeSWITCH: {line.Trim()}");
            }
            Assert.Contains(tried, l => l.Contains($"Trying host: 127.0.0.1:{refusing}", StringComparison.Ordinal));
            Assert.Contains(tried, l => l.Contains("Socket Error: Connection refused", StringComparison.Ordinal));
            Assert.DoesNotContain(s.SwitchLines(), l => l.Contains("EslCallflow: no daemon at", StringComparison.Ordinal));
            await call.CancelAsync(s.Cancellation);
        }
        finally
        {
            await s.Switch.ApiAsync($"global_setvar eslcallflow_socket=127.0.0.1:{s.Switch.DaemonCallPort}", CancellationToken.None);
        }
    });

    [RealSwitchFact]
    public Task A_target_that_accepts_and_closes_at_once_leaves_the_call_to_the_fallback_not_to_the_next_target() => fixture.RunAsync(output, async s =>
    {
        // As a daemon over Esl:Outbound:MaxSessions does: accept, then close. socket_function stops at the first host
        // that connects, so the next target is never tried.
        await using var socketOnly = await SocketPathOnly.StartAsync(s.Switch, s.Cancellation);
        using var closing = new TcpListener(IPAddress.Loopback, 0);
        closing.Start();
        var closingPort = ((IPEndPoint)closing.LocalEndpoint).Port;
        var accepted = Task.Run(async () =>
        {
            using var socket = await closing.AcceptSocketAsync(s.Cancellation);
            socket.Close();
        });
        await s.Switch.ApiAsync($"global_setvar eslcallflow_socket=127.0.0.1:{closingPort}|127.0.0.1:{s.Switch.DaemonCallPort}", s.Cancellation);
        try
        {
            var call = s.Phone("1005").Dial("7000");
            await accepted;
            var fallback = await s.Phone("1001").InviteAsync(Soon);
            var warning = await s.SwitchLineAsync(Soon, "EslCallflow: no daemon at", "to 7000");

            s.Report($"first target accepted and closed: the fallback (1001) got its INVITE {Scene.Ms(fallback.ReceivedAt - call.InviteSentAt)} ms after the caller's; {warning.Trim()}");
            Assert.Empty(s.DaemonCalls("7000"));
            await call.CancelAsync(s.Cancellation);
        }
        finally
        {
            await s.Switch.ApiAsync($"global_setvar eslcallflow_socket=127.0.0.1:{s.Switch.DaemonCallPort}", CancellationToken.None);
        }
    });

    [RealSwitchFact]
    public Task A_ring_left_unanswered_after_the_daemon_died_during_it_goes_on_to_the_fallback() => fixture.RunAsync(output, async s =>
    {
        // 7105 rings 1001 for 2 s and 1002 until the group's 5 s are up.
        var call = s.Phone("1005").Dial("7105");
        await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"));
        await s.DaemonCallAsync("7105");
        s.Daemon.Kill();
        try
        {
            var fallback = await s.Phone("1001").InviteAsync(TimeSpan.FromSeconds(15), count: 2);
            var ringEnded = s.Phone("1002").Incoming[0].CancelledAt!.Value;
            await s.SwitchLineAsync(Soon, "EslCallflow: no daemon at", "to 7105");

            s.Report($"daemon killed while 7105 rang; the ring ended unanswered at {Scene.Seconds(ringEnded - call.InviteSentAt)} s and the fallback (1001) got its INVITE {Scene.Ms(fallback.ReceivedAt - ringEnded)} ms later");
            Assert.False(call.IsEnded, "the caller was hung up instead of reaching the fallback: " + call);
            await call.CancelAsync(s.Cancellation);
        }
        finally
        {
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }, TimeSpan.FromMinutes(3));
}
