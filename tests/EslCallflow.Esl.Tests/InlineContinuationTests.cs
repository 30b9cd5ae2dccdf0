using EslCallflow.Esl.Outbound;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// <see cref="EslOutboundListenerOptions.ResumeHandlersOnReadLoop"/>, the one switch for inline continuations: a
/// handler that is async all the way behaves the same with it off or on; on, the handler's code after a reply runs
/// before its session reads another frame, which is what a handler must not block in.
/// </summary>
public class InlineContinuationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_and_the_hangup_sent_together_reach_an_async_handler_in_order_with_either_setting(bool resumeOnReadLoop)
    {
        const string uuid = "0b8f7c1e-5a43-4a8e-9a55-3c2f4d2b1a01";
        var replied = new TaskCompletionSource<(string Body, bool CallEndedAtResume)>();
        var ended = new TaskCompletionSource();
        await using var listener = new EslOutboundListener(new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = resumeOnReadLoop }, async (session, ct) =>
        {
            var body = await session.ApiAsync("uptime", ct);
            replied.SetResult((body, session.CallEnded.IsCancellationRequested));
            await Task.Delay(System.Threading.Timeout.Infinite, session.CallEnded).ContinueWith(_ => ended.SetResult(), TaskScheduler.Default);
        });
        await listener.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync(uuid);
        Assert.Equal("api uptime", await peer.ReadCommandAsync(Timeout));

        // One write: the handler's reply, then its channel's hangup right behind it.
        var hangup = EslWire.JsonEvent(EventTemplates.CallerEvent("CHANNEL_HANGUP", uuid, new Dictionary<string, string> { ["Hangup-Cause"] = "NORMAL_CLEARING" }));
        await peer.SendAsync([.. EslWire.ApiResponse("4711"), .. hangup]);

        var (body, callEndedAtResume) = await replied.Task.WaitAsync(Timeout);
        Assert.Equal("4711", body);
        if (resumeOnReadLoop)
        {
            // The handler resumed on the read loop, before it read the hangup: until the handler awaits again, its
            // session reads nothing (so a handler that blocked here would hold its own call's events).
            Assert.False(callEndedAtResume);
        }
        await ended.Task.WaitAsync(Timeout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_session_closed_by_the_drain_fails_a_waiting_handler_without_running_it_inside_the_close(bool resumeOnReadLoop)
    {
        var failed = new TaskCompletionSource<Exception>();
        var release = new TaskCompletionSource();
        await using var listener = new EslOutboundListener(new EslOutboundListenerOptions { Port = 0, ResumeHandlersOnReadLoop = resumeOnReadLoop }, async (session, ct) =>
        {
            try
            {
                await session.ApiAsync("uptime", CancellationToken.None);
            }
            catch (EslConnectionClosedException ex)
            {
                failed.SetResult(ex);
                // A failure path that takes its time (async): it must not hold up whoever closed the session.
                await release.Task;
            }
        });
        await listener.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint!);
        await peer.AnswerHandshakeAsync("0b8f7c1e-5a43-4a8e-9a55-3c2f4d2b1a02");
        Assert.Equal("api uptime", await peer.ReadCommandAsync(Timeout));

        // The reply never comes; the drain ends at once and closes the session.
        var stopping = listener.StopAsync(new CancellationToken(canceled: true));

        Assert.IsType<EslConnectionClosedException>(await failed.Task.WaitAsync(Timeout));
        release.SetResult();
        await stopping.WaitAsync(Timeout);
    }
}
