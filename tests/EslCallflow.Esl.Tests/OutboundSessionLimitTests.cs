using EslCallflow.Esl.Outbound;
using EslCallflow.Testing;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// What one local process can make the outbound listener hold: a bounded number of sessions, none of them idle
/// for ever, none buffering more than a call needs. Each bound, when it acts, leaves a warning and a count.
/// </summary>
public class OutboundSessionLimitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    // Short for a test, yet long enough that a loaded machine's stall during the handshake is not taken for idleness.
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    private static async Task<EslOutboundListener> StartListener(EslOutboundListenerOptions options, Func<EslOutboundSession, CancellationToken, Task> handler, LogCapture logs)
    {
        var listener = new EslOutboundListener(options, handler, logs);
        await listener.StartAsync();
        return listener;
    }

    /// <summary>A handler that holds its call until the call ends, doing nothing meanwhile.</summary>
    private static Func<EslOutboundSession, CancellationToken, Task> HoldUntilCallEnds(Action? started = null) => async (session, _) =>
    {
        started?.Invoke();
        await Task.Delay(System.Threading.Timeout.Infinite, session.CallEnded).ContinueWith(_ => { }, TaskScheduler.Default);
    };

    [Fact]
    public void Defaults_bound_sessions_and_their_frames_and_bad_values_are_refused()
    {
        var defaults = new EslOutboundListenerOptions();

        Assert.Equal(2000, defaults.MaxSessions);
        Assert.Equal(TimeSpan.FromMinutes(5), defaults.SessionIdleTimeout);
        Assert.Equal(1024 * 1024, defaults.MaxBodyBytes);
        Assert.Empty(Validate(defaults));
        Assert.Empty(Validate(new EslOutboundListenerOptions { SessionIdleTimeout = TimeSpan.Zero }));

        Assert.Contains(Validate(new EslOutboundListenerOptions { MaxSessions = 0 }), e => e.Contains("MaxSessions", StringComparison.Ordinal));
        Assert.Contains(Validate(new EslOutboundListenerOptions { SessionIdleTimeout = TimeSpan.FromMilliseconds(10) }), e => e.Contains("SessionIdleTimeout", StringComparison.Ordinal));
        Assert.Contains(Validate(new EslOutboundListenerOptions { MaxBodyBytes = 64 * 1024 * 1024 }), e => e.Contains("MaxBodyBytes", StringComparison.Ordinal));
        Assert.Contains(Validate(new EslOutboundListenerOptions { MaxHeaderBytes = 100 }), e => e.Contains("MaxHeaderBytes", StringComparison.Ordinal));
    }

    private static List<string> Validate(EslOutboundListenerOptions options)
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage!)];
    }

    [Fact]
    public async Task A_connection_beyond_MaxSessions_is_closed_as_it_arrives_and_a_freed_slot_takes_the_next()
    {
        var logs = new LogCapture();
        using var metrics = new MeasurementRecorder();
        var handlers = 0;
        await using var listener = await StartListener(new EslOutboundListenerOptions { Port = 0, MaxSessions = 2 },
            HoldUntilCallEnds(() => Interlocked.Increment(ref handlers)), logs);
        await using var first = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await first.AnswerHandshakeAsync("call-1");
        await using var second = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await second.AnswerHandshakeAsync("call-2");

        await using var third = await RawPeer.ConnectAsync(listener.LocalEndPoint!);

        Assert.True(await third.IsClosedByListenerAsync(Timeout), "the third connection was served");
        var refused = await logs.WaitForAsync(e => e.EventId.Id == 1209);
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Equal(2, refused.Values["MaxSessions"]);
        Assert.StartsWith("127.0.0.1:", (string)refused.Values["Peer"]!, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Count(EslMetrics.SessionsRefusedName, "max_sessions", listener.LocalEndPoint!.Port));
        // Both admitted calls reach the handler (the handshake may finish before the second handler has started).
        using (var cts = new CancellationTokenSource(Timeout))
        {
            while (Volatile.Read(ref handlers) < 2)
            {
                await Task.Delay(10, cts.Token);
            }
        }
        Assert.Equal(2, Volatile.Read(ref handlers));

        first.Drop();
        using (var cts = new CancellationTokenSource(Timeout))
        {
            while (listener.ActiveSessions > 1)
            {
                await Task.Delay(10, cts.Token);
            }
        }
        await using var fourth = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        Assert.Equal("connect", await fourth.ReadCommandAsync());
    }

    [Fact]
    public async Task A_session_whose_handler_waits_on_nothing_from_the_switch_is_closed_once_idle()
    {
        var logs = new LogCapture();
        using var metrics = new MeasurementRecorder();
        var ended = new TaskCompletionSource();
        await using var listener = await StartListener(new EslOutboundListenerOptions { Port = 0, SessionIdleTimeout = Idle },
            async (session, ct) =>
            {
                session.CallEnded.Register(() => ended.TrySetResult());
                await HoldUntilCallEnds()(session, ct);
            }, logs);
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync("idle-call");

        Assert.True(await peer.IsClosedByListenerAsync(Timeout), "the idle session was kept");
        await ended.Task.WaitAsync(Timeout);
        var idle = await logs.WaitForAsync(e => e.EventId.Id == 1211);
        Assert.Equal(LogLevel.Warning, idle.Level);
        Assert.Equal("idle-call", idle.Values["CallUuid"]);
        Assert.Equal(1, metrics.Count(EslMetrics.SessionsClosedName, "idle", listener.LocalEndPoint!.Port));
    }

    [Fact]
    public async Task A_peer_dripping_a_frame_that_never_ends_is_closed_once_idle()
    {
        var logs = new LogCapture();
        await using var listener = await StartListener(new EslOutboundListenerOptions { Port = 0, SessionIdleTimeout = Idle }, HoldUntilCallEnds(), logs);
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync("drip");

        var dripping = Task.Run(async () =>
        {
            // A header line a byte every 50 ms: bytes keep coming, a frame never does.
            for (var i = 0; i < 400 && !peer.IsClosed; i++)
            {
                await peer.SendAsync("x"u8.ToArray());
                await Task.Delay(50);
            }
        });

        Assert.True(await peer.IsClosedByListenerAsync(Timeout), "a dripping peer was kept");
        await logs.WaitForAsync(e => e.EventId.Id == 1211);
        await dripping;
    }

    [Fact]
    public async Task A_bridged_call_silent_for_many_idle_timeouts_is_kept_until_its_bridge_completes()
    {
        var logs = new LogCapture();
        var bridged = new TaskCompletionSource<string?>();
        await using var listener = await StartListener(new EslOutboundListenerOptions { Port = 0, SessionIdleTimeout = Idle },
            async (session, ct) => bridged.SetResult((await session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct)).Application), logs);
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync("long-call");
        var bridge = await peer.ReadCommandAsync();
        Assert.Contains("execute-app-name: bridge", bridge, StringComparison.Ordinal);
        await peer.SendAsync(EslWire.CommandReply("+OK"));

        // The call talks for three idle timeouts without a byte on the socket.
        Assert.False(await peer.IsClosedByListenerAsync(Idle * 3), "a silent bridged call was cut");
        await peer.CompleteAsync("long-call", bridge!);

        Assert.Equal("bridge", await bridged.Task.WaitAsync(Timeout));
        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 1211);
    }

    [Fact]
    public async Task A_peer_that_stops_answering_commands_is_closed_once_idle()
    {
        var logs = new LogCapture();
        var failure = new TaskCompletionSource<Exception>();
        await using var listener = await StartListener(new EslOutboundListenerOptions { Port = 0, SessionIdleTimeout = Idle },
            async (session, ct) =>
            {
                try
                {
                    await session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct);
                }
                catch (Exception ex)
                {
                    failure.SetResult(ex);
                }
            }, logs);
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync("mute-peer");
        Assert.Contains("execute-app-name: bridge", await peer.ReadCommandAsync(), StringComparison.Ordinal);

        // No reply to the sendmsg: FreeSWITCH would have answered it at once.
        Assert.True(await peer.IsClosedByListenerAsync(Timeout), "a peer owing a reply was kept");
        Assert.IsType<EslConnectionClosedException>(await failure.Task.WaitAsync(Timeout));
        await logs.WaitForAsync(e => e.EventId.Id == 1211);
    }

    [Fact]
    public async Task A_frame_larger_than_a_call_needs_closes_the_session_with_one_warning()
    {
        var logs = new LogCapture();
        using var metrics = new MeasurementRecorder();
        var started = new TaskCompletionSource();
        await using var listener = await StartListener(new EslOutboundListenerOptions { Port = 0 }, HoldUntilCallEnds(() => started.SetResult()), logs);
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync("big-frame");
        await started.Task.WaitAsync(Timeout);

        // 2 MB announced: not refused by the inbound feed's 16 MB limit, but far beyond what a call session needs.
        await peer.SendAsync("Content-Length: 2097152\nContent-Type: text/event-json\n\n");

        Assert.True(await peer.IsClosedByListenerAsync(Timeout), "the session kept reading a 2 MB frame");
        var warning = await logs.WaitForAsync(e => e.EventId.Id == 1212);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("big-frame", warning.Values["CallUuid"]);
        Assert.Contains("Content-Length 2097152 exceeds the limit of 1048576 bytes", (string)warning.Values["Reason"]!, StringComparison.Ordinal);
        Assert.Null(warning.Exception);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(1, metrics.Count(EslMetrics.SessionsClosedName, "frame_limit", listener.LocalEndPoint!.Port));
    }
}
