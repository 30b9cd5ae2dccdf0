using System.Diagnostics;
using EslCallflow.Esl.Outbound;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>The library times a call's decision: its connect reply to its first executes written (EslMetrics).</summary>
public class ExecuteTimingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_sessions_first_batch_is_timed_from_its_connect_reply_and_later_ones_are_not()
    {
        using var recorder = new MeasurementRecorder();
        var done = new TaskCompletionSource();
        await using var listener = new EslOutboundListener(new EslOutboundListenerOptions { Port = 0 }, async (session, ct) =>
        {
            await session.ExecuteAllAsync([new("set", "continue_on_fail=true"), new("bridge", "user/1001@127.0.0.1")], ct);
            await session.ExecuteAsync("playback", "silence_stream://100", ct);
            done.SetResult();
        });
        await listener.StartAsync();
        var before = Stopwatch.GetTimestamp();
        await using var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" });

        await done.Task.WaitAsync(Timeout);
        var upperBound = Stopwatch.GetElapsedTime(before).TotalSeconds;

        var (seconds, tags) = Assert.Single(recorder.Values(EslMetrics.FirstExecuteDelayName, listener.LocalEndPoint!.Port));
        Assert.Equal("bridge", tags["application"]);
        Assert.InRange(seconds, 0, upperBound);
    }
}
