using EslCallflow.Delivery;

namespace EslCallflow.Tests;

/// <summary>
/// Delivery to FreeSWITCH through its one seam, <see cref="IFreeSwitchEventPublisher"/>: what the switch is handed,
/// and what a down link or a refusal makes of the attempt. Any <see cref="IOutgoingEvent"/> goes, not only a call's record.
/// </summary>
public class FreeSwitchEventSinkTests
{
    private static readonly SpooledEvent Event = new("rec-1-2", "rec-1", "call-1", "call.ringing", DateTimeOffset.UnixEpoch,
        """{"id":"rec-1-2","type":"call.ringing","record_id":"rec-1","sequence":2,"call_uuid":"call-1","occurred_at":"1970-01-01T00:00:00+00:00"}""");

    [Fact]
    public async Task The_switch_is_handed_the_subclass_the_key_headers_and_the_event_json_as_body()
    {
        var freeSwitch = new RecordingPublisher(DeliveryAttempt.Delivered);

        var attempt = await new FreeSwitchEventSink(freeSwitch, FreeSwitchEventHeaderSet.Keys).SendAsync(Event, CancellationToken.None);

        Assert.Equal(DeliveryAttempt.Delivered, attempt);
        var (headers, body) = Assert.Single(freeSwitch.Published);
        Assert.Equal(Event.Json, body);
        Assert.Equal(("Event-Subclass", "eslcallflow::call"), (headers[0].Key, headers[0].Value));
        Assert.Contains(new KeyValuePair<string, string>("Eslcallflow-Call-Uuid", "call-1"), headers);
        Assert.Contains(new KeyValuePair<string, string>("Eslcallflow-Event", "call.ringing"), headers);
    }

    [Fact]
    public async Task A_down_link_is_a_transient_failure_the_spool_waits_out()
    {
        var attempt = await new FreeSwitchEventSink(new RecordingPublisher(DeliveryAttempt.Transient("event socket down")), FreeSwitchEventHeaderSet.Keys)
            .SendAsync(Event, CancellationToken.None);

        Assert.Equal(DeliveryAttempt.Transient("event socket down"), attempt);
    }

    [Fact]
    public async Task An_event_that_is_no_call_record_is_spooled_and_delivered_alike()
    {
        var root = Directory.CreateTempSubdirectory("eslcallflow-delivery").FullName;
        var freeSwitch = new RecordingPublisher(DeliveryAttempt.Delivered);
        using var spool = EventSpool.Open(Path.Combine(root, "freeswitch"), out _, out _);
        using var failed = new FailedEventLog(Path.Combine(root, "freeswitch"), 1 << 20, TimeProvider.System);
        var backlog = new DeliveryBacklog("freeswitch", _ => true, new FreeSwitchEventSink(freeSwitch, FreeSwitchEventHeaderSet.Keys), DeliveryPolicy.FreeSwitch,
            spool, [], failed, new DeliveryMetrics(), 100, TimeSpan.FromMinutes(1), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = backlog.RunAsync(stop.Token);

        backlog.Offer([new Toggled("call-9").ToSpooled()]);

        await WaitAsync(() => freeSwitch.Published.Count == 1);
        Assert.Contains("\"type\":\"ring_group.toggled\"", freeSwitch.Published.Single().Body, StringComparison.Ordinal);
        await stop.CancelAsync();
        await run;
    }

    private static async Task WaitAsync(Func<bool> done)
    {
        for (var i = 0; i < 500 && !done(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(done());
    }

    private sealed record Toggled(string CallUuid) : IOutgoingEvent
    {
        public string Type => "ring_group.toggled";

        public SpooledEvent ToSpooled() => new($"{CallUuid}-1", CallUuid, CallUuid, Type, DateTimeOffset.UnixEpoch,
            $$"""{"id":"{{CallUuid}}-1","type":"{{Type}}","record_id":"{{CallUuid}}","call_uuid":"{{CallUuid}}","occurred_at":"1970-01-01T00:00:00+00:00"}""");
    }

    private sealed class RecordingPublisher(DeliveryAttempt result) : IFreeSwitchEventPublisher
    {
        public List<(IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)> Published { get; } = [];

        public Task<DeliveryAttempt> PublishCustomAsync(IReadOnlyList<KeyValuePair<string, string>> headers, string body, CancellationToken cancellationToken)
        {
            lock (Published)
            {
                Published.Add((headers, body));
            }
            return Task.FromResult(result);
        }
    }
}
