using System.Net;
using System.Net.Sockets;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>A test of the dialplan fast path itself: it runs only in dialplan mode (and on the real switch), and says why it skipped otherwise.</summary>
public sealed class DialplanFactAttribute : FactAttribute
{
    public DialplanFactAttribute()
    {
        Skip = RealSwitch.Binary is null
            ? $"needs a FreeSWITCH 1.10 binary; set {RealSwitch.Variable} to its path to run it (see README, Real-switch tests)"
            : SuiteTransport.IsDialplan ? null : $"tests the dialplan fast path, and {SuiteTransport.Variable} is socket; leave it unset or set it to dialplan to run it (see README, Real-switch tests)";
    }
}

/// <summary>
/// What reaches a phone and a caller through the XML the daemon writes, whatever a document holds; and what a caller
/// gets when the daemon is down, hung, or goes between two fetches of a call (the static dialplan's fallbacks).
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class DialplanSwitchTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    /// <summary>Text that XML, FreeSWITCH's XML preprocessor or its argument expansion would act on.</summary>
    public static TheoryData<string> HostileNames => new()
    {
        "A <b> & \"c\"",
        "]]> x",
        "X-PRE-PROCESS cmd=\"exec\" data=\"id\"",
        "<?xml version=\"1.0\"?>",
        "<include> x",
        "<!--#exec \"id\"-->",
        "$$ money $$",
        "O'Brien \\ back'slash'",
        "it's x-pre-process & \"done\"",
    };

    [RealSwitchTheory]
    [MemberData(nameof(HostileNames))]
    public Task A_hostile_caller_id_name_reaches_the_phone_exactly(string name) => fixture.RunAsync(output, async s =>
    {
        await using var callerId = await s.Daemon.OverrideDocumentAsync("devices/devices.json",
            Documents.DevicesWithCallerName("dev1005", name, "1005"), s.Cancellation);
        var call = s.Phone("1005").Dial("7301");

        var invite = await s.Phone("1001").InviteAsync(Soon);

        s.Report($"written {name}; From: {invite.Invite["From"]}");
        Assert.Equal(name, invite.From.DisplayName);
        Assert.Equal("1005", invite.From.User);
        await call.CancelAsync(s.Cancellation);
        Assert.DoesNotContain(s.SwitchLines(), l => l.Contains("App not added", StringComparison.Ordinal) || l.Contains("Error Parsing", StringComparison.Ordinal));
    });

    [RealSwitchFact]
    public Task A_hostile_response_message_reaches_the_caller_exactly() => fixture.RunAsync(output, async s =>
    {
        const string message = "Gone <b> & ]]> $$ x-pre-process it's";
        await using var callflow = await s.Daemon.OverrideDocumentAsync("callflows/7141-hostile-response.json", $$"""
            { "id": "suite-hostile-response", "numbers": ["7141"],
              "flow": { "module": "response", "data": { "code": 486, "message": {{System.Text.Json.JsonSerializer.Serialize(message)}} } } }
            """, s.Cancellation);

        var call = s.Phone("1005").Dial("7141");
        var final = await call.FinalAsync(Soon);

        s.Report($"written {message}; the caller got {final}");
        Assert.Equal((486, message), (final.Code, final.Reason));
    });

    [DialplanFact]
    public Task With_the_daemon_stopped_a_call_runs_the_static_dialplan_at_once_and_the_daemon_back_takes_the_next() => fixture.RunAsync(output, async s =>
    {
        await s.Daemon.StopAsync();
        try
        {
            var call = s.Phone("1005").Dial("7000");

            // The static dialplan's socket is refused too, so eslcallflow_down rings the fallback (vars.xml: 1001).
            var fallback = await s.Phone("1001").InviteAsync(Soon);
            var after = fallback.ReceivedAt - call.InviteSentAt;
            var warning = await s.SwitchLineAsync(Soon, "EslCallflow: no daemon at", "to 7000");

            s.Report($"daemon stopped: the fallback (1001) got its INVITE {Scene.Ms(after)} ms after the caller's (the fetch refused, then the static dialplan); {warning.Trim()}");
            Assert.True(after < TimeSpan.FromSeconds(1), $"{Scene.Ms(after)} ms: the static dialplan did not run at once");
            Assert.Contains(s.SwitchLines(), l => l.Contains("mod_xml_curl", StringComparison.Ordinal) && l.Contains("Couldn't connect", StringComparison.Ordinal));
            await s.Phone("1002").NoInviteAsync(TimeSpan.FromMilliseconds(200), "only the fallback rings while the daemon is down");
            await call.CancelAsync(s.Cancellation);
        }
        finally
        {
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), s.Cancellation);
        }

        s.Phone("1001").Reset();
        var next = s.Phone("1005").Dial("7301");
        await s.Phone("1001").InviteAsync(Soon);
        Assert.NotEmpty(s.DaemonCalls("7301"));
        await next.CancelAsync(s.Cancellation);
    }, TimeSpan.FromMinutes(3));

    [DialplanFact]
    public Task With_the_daemon_hung_a_call_waits_for_the_fetch_timeout_then_runs_the_static_dialplan() => fixture.RunAsync(output, async s =>
    {
        await s.Daemon.StopAsync();
        // Accepts the fetch and never answers, as a daemon that hangs would.
        using var hung = new TcpListener(IPAddress.Loopback, s.Switch.DaemonDialplanPort);
        hung.Start();
        var accepted = new List<Socket>();
        var accepting = AcceptAllAsync(hung, accepted, s.Cancellation);
        try
        {
            var call = s.Phone("1005").Dial("7000");

            var fallback = await s.Phone("1001").InviteAsync(TimeSpan.FromSeconds(10));
            var after = fallback.ReceivedAt - call.InviteSentAt;

            s.Report($"daemon hung: the fallback (1001) got its INVITE {Scene.Ms(after)} ms after the caller's (xml_curl.conf timeout 1 s, then the static dialplan)");
            Assert.True(after >= TimeSpan.FromSeconds(1) && after < TimeSpan.FromSeconds(3), $"{Scene.Ms(after)} ms: not the 1 s timeout");
            Assert.Contains(s.SwitchLines(), l => l.Contains("mod_xml_curl", StringComparison.Ordinal) && l.Contains("Timeout", StringComparison.OrdinalIgnoreCase));
            await s.SwitchLineAsync(Soon, "EslCallflow: no daemon at", "to 7000");
            await call.CancelAsync(s.Cancellation);
        }
        finally
        {
            hung.Stop();
            foreach (var socket in accepted)
            {
                socket.Dispose();
            }
            await accepting;
        }
        await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), s.Cancellation);
    }, TimeSpan.FromMinutes(3));

    [DialplanFact]
    public Task A_daemon_gone_between_a_ring_attempt_and_its_result_leaves_the_caller_to_the_fallback() => fixture.RunAsync(output, async s =>
    {
        await using var callflow = await s.Daemon.OverrideDocumentAsync("callflows/7142-short-ring.json", """
            { "id": "suite-short-ring", "numbers": ["7142"],
              "flow": { "module": "ring_group", "data": { "timeout": 2, "endpoints": [ { "id": "dev1002", "endpoint_type": "device" } ] },
                        "children": { "_": { "module": "response", "data": { "code": 480, "message": "Nobody Available" } } } } }
            """, s.Cancellation);
        var call = s.Phone("1005").Dial("7142");
        var ringing = await s.Phone("1002").InviteAsync(Soon);

        s.Daemon.Kill();
        try
        {
            // The ring times out, its continuation's fetch is refused, and the static eslcallflow-next hands the call to
            // eslcallflow_down under the number dialled: the fallback (1001) rings, as on the socket path.
            var fallback = await s.Phone("1001").InviteAsync(TimeSpan.FromSeconds(10));
            var warning = await s.SwitchLineAsync(Soon, "EslCallflow: no daemon at", "to 7142");

            s.Report($"daemon killed while 1002 rang: the fallback (1001) got its INVITE {Scene.Ms(fallback.ReceivedAt - ringing.ReceivedAt)} ms after 1002's (the ring's 2 s, the continuation's fetch refused, then eslcallflow-next and eslcallflow_down); {warning.Trim()}");
            Assert.False(call.IsEnded, "the caller was hung up instead of reaching the fallback: " + call);
            Assert.Contains(s.SwitchLines(), l => l.Contains("eslcallflow-next->eslcallflow-next-down", StringComparison.Ordinal));
            await call.CancelAsync(s.Cancellation);
        }
        finally
        {
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), s.Cancellation);
        }
    }, TimeSpan.FromMinutes(3));

    private static async Task AcceptAllAsync(TcpListener listener, List<Socket> accepted, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                accepted.Add(await listener.AcceptSocketAsync(cancellationToken));
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
