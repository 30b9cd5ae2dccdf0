using System.Net;
using System.Net.Sockets;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

public class OutboundSessionTests
{
    /// <summary>What a session sends before its handler's commands: the channel's events, filtered to those it acts on.</summary>
    private static readonly string[] SetUp =
    [
        "connect", "myevents json",
        "filter Event-Name CHANNEL_EXECUTE_COMPLETE", "filter Event-Name CHANNEL_ANSWER", "filter Event-Name CHANNEL_BRIDGE",
        "filter Event-Name CHANNEL_HANGUP", "filter Event-Name CHANNEL_HANGUP_COMPLETE", "linger",
    ];

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<EslOutboundListener> StartListener(Func<EslOutboundSession, CancellationToken, Task> handler, EslOutboundListenerOptions? options = null)
    {
        var listener = new EslOutboundListener(options ?? new EslOutboundListenerOptions { Port = 0 }, handler);
        await listener.StartAsync();
        return listener;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Session_connects_subscribes_lingers_then_executes_and_awaits_completion(bool resumeOnReadLoop)
    {
        var handled = new TaskCompletionSource<(EslEvent Channel, EslEvent Answer)>();
        await using var listener = await StartListener(async (session, ct) =>
        {
            var answer = await session.ExecuteAsync("answer", cancellationToken: ct);
            await session.ExecuteAsync("playback", "tone_stream://%(200,0,440);loops=2", ct);
            await session.HangupAsync("NORMAL_CLEARING", ct);
            handled.SetResult((session.ChannelData, answer));
        }, new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = resumeOnReadLoop });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000", SipUser = "1001" });

        var (channel, answer) = await handled.Task.WaitAsync(Timeout);

        Assert.Equal(call.Uuid, channel.UniqueId);
        Assert.Equal("7000", channel["Caller-Destination-Number"]);
        Assert.Equal("1001", channel.GetVariable("sip_auth_username"));
        Assert.Equal("CHANNEL_EXECUTE_COMPLETE", answer.EventName);
        Assert.Equal("answer", answer.Application);
        Assert.Equal(call.Executions[0].EventUuid, answer.ApplicationUuid);
        var commands = call.Commands.ToList();
        Assert.Equal(SetUp, commands.Take(SetUp.Length));
        Assert.StartsWith("sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-uuid: ", commands[SetUp.Length]);
        Assert.StartsWith("sendmsg\ncall-command: execute\nexecute-app-name: playback\nevent-uuid: ", commands[SetUp.Length + 1]);
        Assert.EndsWith("\nexecute-app-arg: tone_stream://%(200,0,440);loops=2", commands[SetUp.Length + 1]);
        Assert.Equal("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING", commands[SetUp.Length + 2]);
        Assert.Equal("NORMAL_CLEARING", call.HangupCause);
        await call.Closed.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Execute_waits_for_its_own_completion_event_not_the_command_reply()
    {
        var executing = new TaskCompletionSource<Task<EslEvent>>();
        var done = new TaskCompletionSource();
        await using var listener = await StartListener(async (session, ct) =>
        {
            var bridge = session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct);
            executing.SetResult(bridge);
            await bridge;
            await done.Task.WaitAsync(ct);
        });
        var held = new TaskCompletionSource<FakeExecution>();
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" },
            (_, execution) => { held.SetResult(execution); return Task.CompletedTask; });

        var bridge = await executing.Task.WaitAsync(Timeout);
        var execution = await held.Task.WaitAsync(Timeout);
        await Task.Delay(100);
        Assert.False(bridge.IsCompleted);

        await call.CompleteAsync(execution, new Dictionary<string, string> { ["variable_originate_disposition"] = "NO_ANSWER" });
        var complete = await bridge.WaitAsync(Timeout);
        Assert.Equal("NO_ANSWER", complete.GetVariable("originate_disposition"));
        done.SetResult();
    }

    [Fact]
    public async Task Without_async_a_running_application_holds_the_sessions_events_until_it_returns_then_reply_then_events()
    {
        // As captured on FreeSWITCH 1.10.12 with `socket ... full`: a bridge's +OK came when the bridge returned,
        // and the channel's events (the answer's CHANNEL_BRIDGE, the completions) only after that reply.
        var started = new TaskCompletionSource<EslOutboundSession>();
        var bridgeDone = new TaskCompletionSource<EslEvent>();
        await using var listener = await StartListener(async (session, ct) =>
        {
            var bridge = session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct);
            started.SetResult(session);
            bridgeDone.SetResult(await bridge);
        });
        var answered = new TaskCompletionSource();
        var hangUp = new TaskCompletionSource();
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000", Async = false }, async (c, execution) =>
        {
            await c.AnswerBridgeAsync("b-leg");
            answered.SetResult();
            await hangUp.Task;
            await c.EndBridgeAsync(execution, "b-leg", callerHangsUp: false);
        });
        var session = await started.Task.WaitAsync(Timeout);
        await answered.Task.WaitAsync(Timeout);
        await Task.Delay(200);

        Assert.False(session.Bridged.IsCompleted, "the answer waits with the bridge");
        Assert.False(bridgeDone.Task.IsCompleted);

        hangUp.SetResult();
        var complete = await bridgeDone.Task.WaitAsync(Timeout);
        Assert.Equal("SUCCESS", complete.GetVariable("originate_disposition"));
        Assert.Equal("b-leg", (await session.Bridged.WaitAsync(Timeout)).OtherLegUniqueId);
    }

    [Fact]
    public async Task Caller_hangup_fires_the_call_ended_token_and_later_completions_still_arrive()
    {
        var observed = new TaskCompletionSource<EslEvent>();
        await using var listener = await StartListener(async (session, ct) =>
        {
            var bridge = session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct);
            await Task.Delay(System.Threading.Timeout.Infinite, session.CallEnded).ContinueWith(_ => { }, TaskScheduler.Default);
            observed.SetResult(await bridge);
        });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" }, (_, _) => Task.CompletedTask);
        await call.WaitForExecutionAsync("bridge");

        await call.CallerHangsUpAsync("ORIGINATOR_CANCEL");

        var complete = await observed.Task.WaitAsync(Timeout);
        Assert.Equal("ORIGINATOR_CANCEL", complete.GetVariable("originate_disposition"));
        Assert.Equal("ORIGINATOR_CANCEL", complete.HangupCause);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Socket_closing_ends_the_call_and_fails_pending_executions(bool resumeOnReadLoop)
    {
        var failure = new TaskCompletionSource<Exception>();
        var ended = new TaskCompletionSource();
        await using var listener = await StartListener(async (session, ct) =>
        {
            session.CallEnded.Register(() => ended.TrySetResult());
            try
            {
                await session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct);
            }
            catch (Exception ex)
            {
                failure.SetResult(ex);
            }
        }, new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = resumeOnReadLoop });
        var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" }, (_, _) => Task.CompletedTask);
        await call.WaitForExecutionAsync("bridge");

        await call.DisposeAsync();

        Assert.IsType<EslConnectionClosedException>(await failure.Task.WaitAsync(Timeout));
        await ended.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Peers_outside_the_allow_list_are_closed_without_a_session()
    {
        var handlerRan = false;
        await using var listener = await StartListener((_, _) => { handlerRan = true; return Task.CompletedTask; },
            new EslOutboundListenerOptions { Port = 0, AllowedPeers = ["10.0.0.0/8"] });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener.LocalEndPoint!);

        var buffer = new byte[64];
        var read = await socket.ReceiveAsync(buffer).WaitAsync(Timeout);

        Assert.Equal(0, read);
        Assert.False(handlerRan);
    }

    [Fact]
    public void Allow_list_accepts_addresses_ranges_and_mapped_ipv4()
    {
        var allow = new PeerAllowList(["127.0.0.0/8", "192.0.2.7", "::1/128"]);

        Assert.True(allow.IsAllowed(IPAddress.Parse("127.0.0.1")));
        Assert.True(allow.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.True(allow.IsAllowed(IPAddress.Parse("192.0.2.7")));
        Assert.True(allow.IsAllowed(IPAddress.IPv6Loopback));
        Assert.False(allow.IsAllowed(IPAddress.Parse("192.0.2.8")));
        Assert.Throws<ArgumentException>(() => new PeerAllowList(["not-an-address"]));
    }

    [Fact]
    public async Task Stop_waits_for_calls_in_progress_then_aborts_them_at_the_deadline()
    {
        var started = new TaskCompletionSource();
        var sawAbort = new TaskCompletionSource();
        var listener = await StartListener(async (_, ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(System.Threading.Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawAbort.SetResult();
                throw;
            }
        });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" });
        await started.Task.WaitAsync(Timeout);

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await listener.StopAsync(deadline.Token).WaitAsync(Timeout);

        await sawAbort.Task.WaitAsync(Timeout);
        Assert.Equal(0, listener.ActiveSessions);
        Assert.False(listener.IsAccepting);
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task A_handler_exception_ends_only_its_own_session()
    {
        var secondDone = new TaskCompletionSource();
        var count = 0;
        await using var listener = await StartListener(async (session, ct) =>
        {
            if (Interlocked.Increment(ref count) == 1)
            {
                throw new InvalidOperationException("boom");
            }
            await session.ExecuteAsync("answer", cancellationToken: ct);
            secondDone.SetResult();
        });

        await using var first = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" });
        await first.Closed.WaitAsync(Timeout);
        await using var second = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" });

        await secondDone.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Application_names_and_arguments_cannot_smuggle_headers()
    {
        var errors = new TaskCompletionSource<Exception[]>();
        await using var listener = await StartListener(async (session, ct) =>
        {
            var caught = new List<Exception>();
            foreach (var attempt in new Func<Task>[]
            {
                () => session.ExecuteAsync("bridge", "user/1001\ncall-command: hangup", ct),
                () => session.ExecuteAsync("bridge\nx", null, ct),
                () => session.SetVariableAsync("a=b", "c", ct),
                () => session.ExecuteAllAsync([new("set", "ringback=%(2000,4000,440,480)\nexecute-app-name: hangup"), new("bridge", "user/1001")], ct),
            })
            {
                try
                {
                    await attempt();
                }
                catch (ArgumentException ex)
                {
                    caught.Add(ex);
                }
            }
            errors.SetResult([.. caught]);
        });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" });

        Assert.Equal(4, (await errors.Task.WaitAsync(Timeout)).Length);
        await call.Closed.WaitAsync(Timeout);
        Assert.Equal(SetUp, call.Commands.Take(SetUp.Length));
        Assert.DoesNotContain(call.Commands, c => c.StartsWith("sendmsg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_calls_events_reach_the_switchs_subscribers_whatever_its_own_socket_filters()
    {
        // FreeSWITCH fires every channel event to every event-socket subscriber; a session's filters only narrow
        // what its own socket gets. The fake switch must do the same, or a daemon that takes an answer from its
        // channel feed would only ever be tested through the session.
        await using var fs = new FakeFreeSwitch().Start();
        await using var feed = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await feed.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["CHANNEL_BRIDGE"]));
        using var cts = new CancellationTokenSource(Timeout);
        var bridgedOnFeed = feed.ReadEventsAsync(cancellationToken: cts.Token).FirstAsync(cts.Token).AsTask();
        var sessionEvents = new List<string>();
        var setUp = new TaskCompletionSource();
        await using var listener = await StartListener(async (session, ct) =>
        {
            setUp.SetResult();
            await Task.Delay(Timeout, ct);
        }, new EslOutboundListenerOptions { Port = 0, SessionEvents = ["CHANNEL_EXECUTE_COMPLETE"] });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000", Switch = fs });
        await setUp.Task.WaitAsync(Timeout);
        while (!call.Filters.ContainsKey("Event-Name"))
        {
            await Task.Delay(10, cts.Token);
        }

        await call.AnswerBridgeAsync("leg-b");

        var bridged = await bridgedOnFeed;
        Assert.Equal(("CHANNEL_BRIDGE", call.Uuid, "leg-b"), (bridged.EventName, bridged.UniqueId, bridged.OtherLegUniqueId));
        Assert.Equal(["CHANNEL_EXECUTE_COMPLETE"], call.Filters["Event-Name"]);
    }

    [Fact]
    public async Task A_session_that_does_not_take_channel_answer_learns_the_answer_from_the_next_completion()
    {
        var answered = new TaskCompletionSource<(bool Before, bool After)>();
        await using var listener = await StartListener(async (session, ct) =>
        {
            var before = session.IsAnswered;
            await session.ExecuteAsync("answer", null, ct);
            answered.SetResult((before, session.IsAnswered));
        }, new EslOutboundListenerOptions { Port = 0, SessionEvents = ["CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP"] });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" },
            (c, execution) => c.CompleteAsync(execution, new Dictionary<string, string> { ["Answer-State"] = "answered", ["Channel-Call-State"] = "ACTIVE" }));

        Assert.Equal((false, true), await answered.Task.WaitAsync(Timeout));
        Assert.DoesNotContain("filter Event-Name CHANNEL_ANSWER", call.Commands);
    }

    [Fact]
    public async Task A_batch_goes_out_in_order_and_waits_for_the_completion_of_its_last_command()
    {
        var outcome = new TaskCompletionSource<EslEvent>();
        await using var listener = await StartListener(async (session, ct) =>
            outcome.SetResult(await session.ExecuteAllAsync(
                [new("set", "ringback=%(2000,4000,440,480)"), new("ring_ready"), new("bridge", "{call_timeout=20,origination_caller_id_name='Reception desk'}[^^!leg_timeout='20'!sip_h_X-Note='a: b']user/1001@127.0.0.1")], ct)),
            new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = true });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" });

        var completion = await outcome.Task.WaitAsync(Timeout);

        var sent = call.Commands.Skip(SetUp.Length).Take(3).ToList();
        var uuid = sent[2].Split('\n').Single(l => l.StartsWith("event-uuid: ", StringComparison.Ordinal))["event-uuid: ".Length..];
        // Only the awaited last one carries an Event-UUID: FreeSWITCH makes one for the others.
        Assert.Equal("sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ringback=%(2000,4000,440,480)", sent[0]);
        Assert.Equal("sendmsg\ncall-command: execute\nexecute-app-name: ring_ready", sent[1]);
        // Past EslCommand.BodyThreshold bytes the argument goes as a text/plain body, which FreeSWITCH reads in one recv.
        const string DialString = "{call_timeout=20,origination_caller_id_name='Reception desk'}[^^!leg_timeout='20'!sip_h_X-Note='a: b']user/1001@127.0.0.1";
        Assert.Equal($"sendmsg\ncall-command: execute\nexecute-app-name: bridge\nevent-uuid: {uuid}\ncontent-type: text/plain\ncontent-length: {DialString.Length}\n\n{DialString}", sent[2]);
        Assert.Equal(DialString, call.Executions.Single(e => e.Application == "bridge").Argument);
        // Any string unique within the session will do (FreeSWITCH only echoes it), and a short one is read sooner.
        Assert.Matches("^e[0-9]+$", uuid);
        Assert.Equal("bridge", completion.Application);
        Assert.Equal(uuid, completion.ApplicationUuid);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_refused_command_in_a_batch_fails_the_batch_by_name_and_the_next_command_gets_its_own_reply(bool resumeOnReadLoop)
    {
        var refused = new TaskCompletionSource<EslCommandException>();
        var next = new TaskCompletionSource<EslEvent>();
        var scripted = new TaskCompletionSource();
        await using var listener = await StartListener(async (session, ct) =>
        {
            await scripted.Task.WaitAsync(ct);
            try
            {
                await session.ExecuteAllAsync([new("set", "continue_on_fail=true"), new("ring_ready"), new("bridge", "user/1001@127.0.0.1")], ct);
            }
            catch (EslCommandException ex)
            {
                refused.SetResult(ex);
            }
            // The batch's later replies were still read in turn: this command must get its own.
            next.SetResult(await session.ExecuteAsync("playback", "silence_stream://100", ct));
        }, new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = resumeOnReadLoop });
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" });
        call.RefuseExecute = application => application == "ring_ready" ? "-ERR no such application" : null;
        scripted.SetResult();

        var error = await refused.Task.WaitAsync(Timeout);
        var playback = await next.Task.WaitAsync(Timeout);

        Assert.Contains("ring_ready", error.Message);
        Assert.Contains("-ERR no such application", error.Message);
        Assert.Equal("playback", playback.Application);
        Assert.Equal(call.Executions.Single(e => e.Application == "playback").EventUuid, playback.ApplicationUuid);
    }
}
