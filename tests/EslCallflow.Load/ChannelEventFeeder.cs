using System.Diagnostics;
using EslCallflow.Testing;

namespace EslCallflow.Load;

/// <summary>
/// Real CHANNEL_* events (the captured ringing-leg event, ~6 KB) at a set rate down the inbound link: legs
/// cycle through create, ringing, answer, hangup and destroy, 200 at a time, so the tracker works and stays bounded.
/// </summary>
internal sealed class ChannelEventFeeder(FakeFreeSwitch freeSwitch, int eventsPerSecond, TimeSpan tick)
{
    private static readonly (string Event, string CallState, string AnswerState)[] Life =
    [
        ("CHANNEL_CREATE", "DOWN", "ringing"),
        ("CHANNEL_CALLSTATE", "RINGING", "ringing"),
        ("CHANNEL_ANSWER", "RINGING", "answered"),
        ("CHANNEL_HANGUP", "ACTIVE", "hangup"),
        ("CHANNEL_DESTROY", "HANGUP", "hangup"),
    ];

    private readonly (string Uuid, int Step)[] _legs = [.. Enumerable.Range(0, 200).Select(i => (Guid.NewGuid().ToString(), 0))];
    private long _sent;
    private int _next;

    public long Sent => Interlocked.Read(ref _sent);

    public async Task RunAsync(CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                var due = (long)(clock.Elapsed.TotalSeconds * eventsPerSecond);
                while (_sent < due && !token.IsCancellationRequested)
                {
                    await freeSwitch.PublishAsync(NextEvent());
                    Interlocked.Increment(ref _sent);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Dictionary<string, string> NextEvent()
    {
        var slot = _next++ % _legs.Length;
        var (uuid, step) = _legs[slot];
        var (name, callState, answerState) = Life[step];
        _legs[slot] = step + 1 == Life.Length ? (Guid.NewGuid().ToString(), 0) : (uuid, step + 1);
        return EventTemplates.RingingLegEvent(name, uuid, new Dictionary<string, string>
        {
            ["Channel-Call-State"] = callState,
            ["Answer-State"] = answerState,
            ["Other-Leg-Unique-ID"] = "caller-" + uuid,
        });
    }
}
