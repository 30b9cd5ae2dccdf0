using System.Text;
using EslCallflow.Esl.Outbound;
using EslCallflow.Testing;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// Connections to the outbound listener that never become a call, and calls whose socket goes away: what the
/// operator reads about them, and what the call's handler sees.
/// </summary>
public class OutboundBadPeerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<string> BadPeers => new() { "port probe", "garbage", "closes after connect", "empty Unique-ID" };

    [Theory]
    [MemberData(nameof(BadPeers))]
    public async Task A_connection_that_never_becomes_a_call_logs_one_warning_with_peer_and_reason(string peerKind)
    {
        var logs = new LogCapture();
        using var metrics = new MeasurementRecorder();
        var handlerRan = false;
        await using var listener = new EslOutboundListener(new EslOutboundListenerOptions { Port = 0 }, (_, _) => { handlerRan = true; return Task.CompletedTask; }, logs);
        await listener.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);

        switch (peerKind)
        {
            case "port probe":
                peer.Drop();
                break;
            case "garbage":
                await peer.SendAsync("\u001b[31mHELLO\0 there\r\n\r\n"u8.ToArray());
                break;
            case "closes after connect":
                Assert.Equal("connect", await peer.ReadCommandAsync());
                peer.Drop();
                break;
            case "empty Unique-ID":
                Assert.Equal("connect", await peer.ReadCommandAsync());
                // The set-up follows connect at once, before the channel data is back.
                Assert.Equal("myevents json", await peer.ReadCommandAsync());
                while (await peer.ReadCommandAsync() is not "linger")
                {
                }
                await peer.AnswerConnectAsync(new Dictionary<string, string> { ["Unique-ID"] = string.Empty });
                Assert.True(await peer.IsClosedByListenerAsync(Timeout), "a session without a call UUID was kept");
                break;
        }

        var warning = await logs.WaitForAsync(e => e.EventId.Id == 1210);
        await WaitUntil(() => listener.ActiveSessions == 0);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Null(warning.Exception);
        Assert.StartsWith("127.0.0.1:", (string)warning.Values["Peer"]!, StringComparison.Ordinal);
        var reason = (string)warning.Values["Reason"]!;
        Assert.False(ControlCharacters.Contains(reason), $"raw control characters in '{reason}'");
        Assert.Single(logs.Entries, e => e.Level >= LogLevel.Warning);
        Assert.False(handlerRan);
        Assert.Equal(1, metrics.Count(EslMetrics.SessionsClosedName, "handshake", listener.LocalEndPoint!.Port));
        if (peerKind == "garbage")
        {
            Assert.Contains("\\x1B[31mHELLO\\0 there", reason, StringComparison.Ordinal);
        }
        if (peerKind == "empty Unique-ID")
        {
            Assert.Contains("no Unique-ID", reason, StringComparison.Ordinal);
        }
    }

    public static TheoryData<bool, bool> PendingWork => new() { { true, true }, { true, false }, { false, true }, { false, false } };

    /// <summary>
    /// FreeSWITCH closes a call's socket when the caller hangs up; the CHANNEL_HANGUP may never come first. Whatever
    /// the handler was waiting for then fails, and it must find the call already ended, or a caller hanging up reads
    /// as an error. Several calls per case: the close races nothing now, but did before.
    /// </summary>
    [Theory]
    [MemberData(nameof(PendingWork))]
    public async Task A_closed_socket_ends_the_call_before_any_pending_command_fails(bool resumeOnReadLoop, bool replyPending)
    {
        const int Calls = 10;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(Type Failure, bool CallEnded)>();
        await using var listener = new EslOutboundListener(new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = resumeOnReadLoop }, async (session, ct) =>
        {
            try
            {
                await session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct);
            }
            catch (Exception ex)
            {
                // Read at the very moment the failure arrives, as CallHandler's catch filter does.
                seen.Enqueue((ex.GetType(), session.CallEnded.IsCancellationRequested));
            }
        });
        await listener.StartAsync();

        for (var i = 0; i < Calls; i++)
        {
            await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
            await peer.AnswerHandshakeAsync($"call-{i}");
            Assert.Contains("execute-app-name: bridge", await peer.ReadCommandAsync(), StringComparison.Ordinal);
            if (!replyPending)
            {
                await peer.SendAsync(EslWire.CommandReply("+OK"));
                await Task.Delay(20);
            }
            peer.Drop();
        }

        await WaitUntil(() => seen.Count == Calls);
        Assert.All(seen, s => Assert.Equal(typeof(EslConnectionClosedException), s.Failure));
        Assert.All(seen, s => Assert.True(s.CallEnded, "a pending command failed before the call was marked ended"));
    }

    [Fact]
    public async Task A_handler_that_lets_the_closed_connection_through_after_a_hangup_is_not_logged_as_failed()
    {
        var logs = new LogCapture();
        await using var listener = new EslOutboundListener(new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = true },
            async (session, ct) => await session.ExecuteAsync("bridge", "user/1001@127.0.0.1", ct), logs);
        await listener.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync("hung-up");
        Assert.Contains("execute-app-name: bridge", await peer.ReadCommandAsync(), StringComparison.Ordinal);

        peer.Drop();

        var ended = await logs.WaitForAsync(e => e.EventId.Id == 1213);
        Assert.Equal(LogLevel.Debug, ended.Level);
        Assert.Equal("hung-up", ended.Values["CallUuid"]);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }
}
