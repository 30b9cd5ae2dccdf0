using System.Text.Json;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// Call records on the real switch (issue 19): an event-socket consumer that subscribes to
/// <c>CUSTOM eslcallflow::call</c> follows a ring-group call from start to end, the record as headers and a json body,
/// once the daemon is told to fire them (<c>CallRecords:FreeSwitchEvents</c>, off by default).
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class CallEventTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    [RealSwitchFact]
    public Task By_default_an_event_socket_consumer_sees_no_event_of_the_daemons() => fixture.RunAsync(output, async s =>
    {
        var (consumer, uuid) = await FollowOneCallAsync(s);
        await using var _ = consumer;
        await s.CallLineAsync(uuid, Soon, "ended after");

        // The record's last event would have been fired by now (the events on: within milliseconds of the hangup).
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(s.Cancellation);
        wait.CancelAfter(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer.ReadEventAsync(wait.Token));
        Assert.Contains(s.Daemon.Log.LinesFrom(0), l => l.Contains("CallRecords:FreeSwitchEvents=true", StringComparison.Ordinal));
    });

    [RealSwitchFact]
    public Task An_event_socket_consumer_sees_the_events_of_one_ring_group_call() => fixture.RunAsync(output, async s =>
    {
        await s.Daemon.StopAsync();
        await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), s.Cancellation, settings: EventsOn);
        try
        {
            await ConsumerSeesOneCallAsync(s);
        }
        finally
        {
            await s.Daemon.StopAsync();
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    });

    private static readonly Dictionary<string, string> EventsOn = new() { ["CallRecords:FreeSwitchEvents"] = "true" };

    /// <summary>An event-socket consumer of <c>CUSTOM eslcallflow::call</c>, then one ring-group call answered and hung up.</summary>
    private static async Task<(SwitchConsole Consumer, string CallUuid)> FollowOneCallAsync(Scene s)
    {
        var consumer = await SwitchConsole.ConnectAsync(s.Switch.EslPort, s.Switch.EslPassword, s.Cancellation);
        try
        {
            await consumer.SubscribeAsync("CUSTOM eslcallflow::call", s.Cancellation);
            s.Phone("1003").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromSeconds(1));
            var call = s.Phone("1005").Dial("7101");
            await call.AnsweredAsync(Soon);
            var uuid = await s.DaemonCallAsync("7101");
            await call.HangUpAsync(s.Cancellation);
            return (consumer, uuid);
        }
        catch
        {
            await consumer.DisposeAsync();
            throw;
        }
    }

    private static async Task ConsumerSeesOneCallAsync(Scene s)
    {
        var (consumer, uuid) = await FollowOneCallAsync(s);
        await using var _ = consumer;

        var seen = new List<(Dictionary<string, string> Headers, string? Body)>();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(s.Cancellation);
        wait.CancelAfter(TimeSpan.FromSeconds(10));
        while (!seen.Any(e => e.Headers.GetValueOrDefault("Eslcallflow-Event") == "call.ended"))
        {
            var evt = await consumer.ReadEventAsync(wait.Token);
            if (evt.Headers.GetValueOrDefault("Eslcallflow-Call-Uuid") == uuid)
            {
                s.Report($"{evt.Headers["Eslcallflow-Event"]} ({evt.Headers.GetValueOrDefault("Event-UUID")})");
                seen.Add(evt);
            }
        }

        Assert.Equal(["call.started", "call.ringing", "call.answered", "call.ended"], seen.Select(e => e.Headers["Eslcallflow-Event"]));
        Assert.Equal([1L, 2L, 3L, 4L], seen.Select(e => JsonDocument.Parse(e.Body!).RootElement.GetProperty("sequence").GetInt64()));
        Assert.All(seen, e =>
        {
            Assert.Equal(("CUSTOM", "eslcallflow::call"), (e.Headers["Event-Name"], e.Headers["Event-Subclass"]));
            using var body = JsonDocument.Parse(e.Body ?? "{}");
            Assert.Equal((e.Headers["Eslcallflow-Event"], uuid), (body.RootElement.GetProperty("type").GetString(), body.RootElement.GetProperty("call_uuid").GetString()));
        });
        Assert.Single(seen.Select(e => JsonDocument.Parse(e.Body!).RootElement.GetProperty("record_id").GetString()).Distinct());
        var ended = seen[^1];
        Assert.Equal("answered", ended.Headers["Eslcallflow-Outcome"]);
        // The rest of the record is in the body, as FreeSWITCH fired it.
        using var record = JsonDocument.Parse(ended.Body!);
        var fields = record.RootElement.GetProperty("record");
        Assert.Equal(("dev1003", "caller", "7101"), (fields.GetProperty("answered").GetProperty("device_id").GetString(), fields.GetProperty("hung_up_by").GetString(), fields.GetProperty("number").GetString()));
    }
}
