using System.Text;
using System.Text.Json;
using EslCallflow.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace EslCallflow.Tests;

/// <summary>
/// Webhooks as a real receiver sees them (issue 19, "Delivery"): signed, in order per call, retried on 5xx and on
/// timeouts, nothing lost while the receiver is down, bounded when it never comes back, and kept across a restart.
/// </summary>
public class WebhookDeliveryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string FreeSwitchEventsOn = "--CallRecords:FreeSwitchEvents=true";

    private static void AssertInOrderPerCall(IReadOnlyList<ReceivedHook> delivered)
    {
        foreach (var call in delivered.GroupBy(d => d.CallUuid))
        {
            var sequences = call.Select(d => d.Sequence).Distinct().ToList();
            Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
            Assert.Equal("call.started", call.First().Type);
            Assert.Equal("call.ended", call.Last().Type);
        }
    }

    [Fact]
    public async Task Each_event_is_signed_with_hmac_sha256_of_the_body_and_carries_the_custom_data()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url, extra: ["CustomData:account=acme", "CustomData:site=paris"]));
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered());

        await receiver.WaitForAsync(d => d.Any(h => h.Type == "call.ended"), Timeout);

        foreach (var hook in receiver.Delivered)
        {
            Assert.True(WebhookSignature.Verify(HookArgs.Secret, Encoding.UTF8.GetBytes(hook.Body), hook.Signature), $"bad signature on {hook.Type}");
            Assert.False(WebhookSignature.Verify("another-secret-of-some-length", Encoding.UTF8.GetBytes(hook.Body), hook.Signature));
            Assert.Equal((hook.Type, hook.Id), (hook.EventType, hook.EventId));
            Assert.Equal("acme", hook.Json.GetProperty("custom_data").GetProperty("account").GetString());
            Assert.Equal($"{hook.Json.GetProperty("record_id").GetString()}-{hook.Sequence}", hook.Id);
        }
        AssertInOrderPerCall(receiver.Delivered);
        Assert.DoesNotContain(daemon.LogEvents(string.Empty), e => e.ToString().Contains(HookArgs.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hook_gets_only_the_events_it_asked_for()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url, extra: ["Events:0=call.answered", "Events:1=call.ended"]));
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered());

        await receiver.WaitForAsync(d => d.Any(h => h.Type == "call.ended"), Timeout);

        Assert.Equal(["call.answered", "call.ended"], receiver.Delivered.Select(d => d.Type));
        // Sequence numbers are the record's: a receiver of some events sees the gaps.
        Assert.Equal([3L, 4], receiver.Delivered.Select(d => d.Sequence));
    }

    [Fact]
    public async Task A_500_is_retried_with_backoff_and_the_order_is_kept()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = n => (n <= 3 ? 500 : 200, TimeSpan.Zero);
        await using var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url));
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered());

        await receiver.WaitForAsync(d => d.Any(h => h.Type == "call.ended"), Timeout);

        Assert.Equal(["call.started", "call.ringing", "call.answered", "call.ended"], receiver.Delivered.Select(d => d.Type));
        var metrics = daemon.Host.Services.GetRequiredService<DeliveryMetrics>();
        Assert.True(metrics.RetriedCount("crm") >= 3);
        // Counted once the daemon has read the receiver's 200, which may be just after the receiver saw the event.
        await Eventually.True(() => metrics.SentCount("crm") == 4, Timeout);
        Assert.Equal(4, metrics.SentCount("crm"));
        Assert.Contains("eslcallflow_call_events_retried_total{destination=\"crm\"}", await daemon.MetricsAsync());
    }

    [Fact]
    public async Task An_event_the_receiver_refuses_with_a_4xx_is_given_up_at_once_counted_logged_and_kept()
    {
        var state = Directory.CreateTempSubdirectory("eslcallflow-4xx").FullName;
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = n => (n == 1 ? 422 : 200, TimeSpan.Zero);
        await using var daemon = await RunningDaemon.StartAsync(null, [.. HookArgs.For(receiver.Url), $"--EslCallflow:StatePath={state}"]);
        await using var call = await daemon.CallAsync("5555", "1005");

        await receiver.WaitForAsync(d => d.Any(h => h.Type == "call.ended"), Timeout);

        Assert.Equal(["call.ended"], receiver.Delivered.Select(d => d.Type));
        Assert.Equal(2, receiver.Requests);
        var metrics = daemon.Host.Services.GetRequiredService<DeliveryMetrics>();
        Assert.Equal((1, 0), (metrics.FailedCount("crm", "rejected"), metrics.RetriedCount("crm")));
        await Eventually.True(() => daemon.LogEvents("given up").Any(e => e.GetProperty("CallUuid").GetString() == call.Uuid && e.GetProperty("Reason").GetString() == "rejected"), Timeout);
        var kept = Assert.Single(File.ReadAllLines(Path.Combine(state, "spool", "crm", "failed.jsonl")));
        Assert.Contains("\"detail\":\"HTTP 422\"", kept, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"call.started\"", kept, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_in_time_is_retried()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = n => (200, n == 1 ? TimeSpan.FromSeconds(3) : TimeSpan.Zero);
        await using var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url, extra: ["Timeout=00:00:00.300"]));
        await using var call = await daemon.CallAsync("5555", "1005");

        await receiver.WaitForAsync(d => d.Any(h => h.Type == "call.ended"), Timeout);

        // The first attempt timed out on our side: its late 200 is not a delivery, the retry is.
        Assert.True(daemon.Host.Services.GetRequiredService<DeliveryMetrics>().RetriedCount("crm") >= 1);
        Assert.Equal(["call.started", "call.ended"], receiver.Delivered.Select(d => d.Type).Distinct());
        AssertInOrderPerCall(receiver.Delivered);
    }

    [Fact]
    public async Task A_receiver_down_for_a_while_gets_everything_when_it_is_back_and_calls_never_wait_for_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await receiver.StopAsync();
        await using var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url));
        var uuids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered());
            // The calls go on as usual: the hook being down slows none of them.
            await call.Closed.WaitAsync(TimeSpan.FromSeconds(5));
            uuids.Add(call.Uuid);
        }
        await Eventually.True(() => daemon.Host.Services.GetRequiredService<DeliveryMetrics>().Depth("crm") == 12, Timeout);
        await Eventually.True(() => daemon.LogEvents("unreachable").Count == 1, Timeout);

        await receiver.StartAgainAsync();

        await receiver.WaitForAsync(d => uuids.All(u => d.Any(h => h.CallUuid == u && h.Type == "call.ended")), Timeout);
        Assert.Equal(12, receiver.Delivered.Select(d => d.Id).Distinct().Count());
        AssertInOrderPerCall(receiver.Delivered);
        await Eventually.True(() => daemon.Host.Services.GetRequiredService<DeliveryMetrics>().Depth("crm") == 0, Timeout);
        Assert.Single(daemon.LogEvents("reachable again"));
    }

    [Fact]
    public async Task A_receiver_that_never_comes_back_fills_a_bounded_queue_and_the_rest_is_counted_logged_and_kept()
    {
        var port = WebhookReceiver.FreePort();
        var state = Directory.CreateTempSubdirectory("eslcallflow-full").FullName;
        await using var daemon = await RunningDaemon.StartAsync(null, [.. HookArgs.For($"http://127.0.0.1:{port}/hook"), "--CallRecords:MaxPendingEvents=10", $"--EslCallflow:StatePath={state}"]);
        for (var i = 0; i < 4; i++)
        {
            await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered());
            await call.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        }

        var metrics = daemon.Host.Services.GetRequiredService<DeliveryMetrics>();
        await Eventually.True(() => metrics.FailedCount("crm", "queue_full") == 6, Timeout);
        Assert.Equal(10, metrics.Depth("crm"));
        var text = await daemon.MetricsAsync();
        Assert.Contains("eslcallflow_call_events_queued{destination=\"crm\"} 10", text);
        Assert.Contains("eslcallflow_call_events_failed_total{destination=\"crm\",reason=\"queue_full\"} 6", text);
        Assert.NotEmpty(daemon.LogEvents("is full"));
        var failed = File.ReadAllLines(Path.Combine(state, "spool", "crm", "failed.jsonl"));
        Assert.Equal(6, failed.Count(l => l.Contains("\"reason\":\"queue_full\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Events_pending_when_the_daemon_stops_are_delivered_after_a_restart_with_the_same_ids()
    {
        var state = Directory.CreateTempSubdirectory("eslcallflow-restart").FullName;
        await using var receiver = await WebhookReceiver.StartAsync();
        await receiver.StopAsync();
        string[] sentToSwitch;
        string callUuid;
        await using (var first = await RunningDaemon.StartAsync(null, [.. HookArgs.For(receiver.Url), $"--EslCallflow:StatePath={state}", FreeSwitchEventsOn]))
        {
            await using var call = await first.CallAsync("7000", "1005", Bridges.Answered());
            await call.Closed.WaitAsync(TimeSpan.FromSeconds(5));
            callUuid = call.Uuid;
            // The same events went to the switch (whose link is up) with their ids.
            await Eventually.True(() => first.FreeSwitch.SentEvents.Count(e => e.Headers["Eslcallflow-Call-Uuid"] == callUuid) == 4, Timeout);
            sentToSwitch = [.. first.FreeSwitch.SentEvents.Where(e => e.Headers["Eslcallflow-Call-Uuid"] == callUuid).Select(e => System.Text.Json.JsonDocument.Parse(e.Body!).RootElement.GetProperty("id").GetString()!)];
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(state, "spool", "crm"), "*.events"));

        await receiver.StartAgainAsync();
        await using var second = await RunningDaemon.StartAsync(null, [.. HookArgs.For(receiver.Url), $"--EslCallflow:StatePath={state}"]);

        await receiver.WaitForAsync(d => d.Any(h => h.CallUuid == callUuid && h.Type == "call.ended"), Timeout);
        Assert.Equal(sentToSwitch, receiver.Delivered.Where(d => d.CallUuid == callUuid).Select(d => d.Id).Distinct());
        AssertInOrderPerCall(receiver.Delivered);
        Assert.NotEmpty(second.LogEvents("from the spool"));
        // Delivered and acknowledged: a third start has nothing left to send.
        await Eventually.True(() => second.Host.Services.GetRequiredService<DeliveryMetrics>().Depth("crm") == 0, Timeout);
    }

    [Fact]
    public async Task Every_event_reaches_the_switch_as_a_custom_event_with_its_keys_as_headers_and_the_record_as_json_body()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, FreeSwitchEventsOn);
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered("leg-of-1002"));
        await call.Closed.WaitAsync(Timeout);

        await Eventually.True(() => daemon.FreeSwitch.SentEvents.Any(e => e.Headers.GetValueOrDefault("Eslcallflow-Event") == "call.ended"), Timeout);

        var events = daemon.FreeSwitch.SentEvents.Where(e => e.Headers["Eslcallflow-Call-Uuid"] == call.Uuid).ToList();
        Assert.Equal(["call.started", "call.ringing", "call.answered", "call.ended"], events.Select(e => e.Headers["Eslcallflow-Event"]));
        Assert.All(events, e =>
        {
            Assert.Equal("CUSTOM", e.EventName);
            Assert.Equal("eslcallflow::call", e.Headers["Event-Subclass"]);
            // Never Unique-ID: FreeSWITCH would hand the event to that channel instead of firing it.
            Assert.False(e.Headers.ContainsKey("Unique-ID"));
            using var body = System.Text.Json.JsonDocument.Parse(e.Body!);
            Assert.Equal((e.Headers["Eslcallflow-Event"], call.Uuid), (body.RootElement.GetProperty("type").GetString(), body.RootElement.GetProperty("call_uuid").GetString()));
        });
        var ended = events[^1];
        Assert.Equal("answered", ended.Headers["Eslcallflow-Outcome"]);
        Assert.False(ended.Headers.ContainsKey("Eslcallflow-Caller-Device-Id"));
        using var record = System.Text.Json.JsonDocument.Parse(ended.Body!);
        Assert.Equal(4, record.RootElement.GetProperty("sequence").GetInt64());
        var fields = record.RootElement.GetProperty("record");
        Assert.Equal("7000", fields.GetProperty("number").GetString());
        Assert.Equal(("dev1005", "leg-of-1002"), (fields.GetProperty("caller").GetProperty("device_id").GetString(), fields.GetProperty("answered").GetProperty("leg_uuid").GetString()));
        Assert.Contains("dev1001", fields.GetProperty("ring_attempts")[0].GetProperty("rung").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task By_default_the_switch_is_sent_no_custom_event_and_the_start_says_how_to_turn_them_on()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url));
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered("leg-of-1002"));
        await call.Closed.WaitAsync(Timeout);

        // The webhook has the whole call, so every event was made; none of them went to the switch.
        await receiver.WaitForAsync(d => d.Any(h => h.CallUuid == call.Uuid && h.Type == "call.ended"), Timeout);
        Assert.DoesNotContain(daemon.FreeSwitch.SentEvents, e => e.EventName == "CUSTOM");
        Assert.Single(daemon.LogEvents("CallRecords:FreeSwitchEvents=true"));
        Assert.DoesNotContain(daemon.Host.Services.GetRequiredService<CallEventDispatcher>().Queues, q => q.Name == "freeswitch");
    }

    [Fact]
    public async Task With_record_headers_the_custom_event_carries_every_field_of_the_record_as_a_header()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, FreeSwitchEventsOn, "--CallRecords:FreeSwitchEventHeaders=Record");
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered("leg-of-1002"));
        await call.Closed.WaitAsync(Timeout);

        await Eventually.True(() => daemon.FreeSwitch.SentEvents.Any(e => e.Headers.GetValueOrDefault("Eslcallflow-Event") == "call.ended"), Timeout);

        var ended = daemon.FreeSwitch.SentEvents.Single(e => e.Headers["Eslcallflow-Call-Uuid"] == call.Uuid && e.Headers["Eslcallflow-Event"] == "call.ended").Headers;
        Assert.Equal(("answered", "4", "7000", "dev1005"), (ended["Eslcallflow-Outcome"], ended["Eslcallflow-Sequence"], ended["Eslcallflow-Number"], ended["Eslcallflow-Caller-Device-Id"]));
        Assert.Equal("leg-of-1002", ended["Eslcallflow-Answered-Leg-Uuid"]);
        Assert.Contains("dev1001", ended["Eslcallflow-Ring-Attempts-1-Rung"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_subclass_headers_the_custom_event_carries_only_its_subclass_and_the_whole_event_in_its_body()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, FreeSwitchEventsOn, "--CallRecords:FreeSwitchEventHeaders=Subclass");
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered("leg-of-1002"));
        await call.Closed.WaitAsync(Timeout);

        await Eventually.True(() => daemon.FreeSwitch.SentEvents.Count(e => e.Body?.Contains(call.Uuid, StringComparison.Ordinal) == true) == 4, Timeout);

        var events = daemon.FreeSwitch.SentEvents.Where(e => e.Body?.Contains(call.Uuid, StringComparison.Ordinal) == true).ToList();
        Assert.All(events, e => Assert.Equal(("CUSTOM", "eslcallflow::call"), (e.EventName, Assert.Single(e.Headers, h => h.Key is not ("Content-Length" or "Event-UUID")).Value)));
        var bodies = events.Select(e => JsonDocument.Parse(e.Body!).RootElement).ToList();
        Assert.Equal(["call.started", "call.ringing", "call.answered", "call.ended"], bodies.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("answered", bodies[^1].GetProperty("record").GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Custom_events_wait_in_the_spool_while_the_event_socket_is_down()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, FreeSwitchEventsOn, "--Esl:Inbound:MaxReconnectDelay=00:00:00.500");
        var password = daemon.FreeSwitch.Password;
        daemon.FreeSwitch.Password = "not-the-daemons";
        daemon.FreeSwitch.DropConnections();
        await using (var call = await daemon.CallAsync("5555", "1005"))
        {
            await call.Closed.WaitAsync(Timeout);
        }
        await Eventually.True(() => daemon.Host.Services.GetRequiredService<DeliveryMetrics>().Depth("freeswitch") == 2, Timeout);
        Assert.Empty(daemon.FreeSwitch.SentEvents);

        daemon.FreeSwitch.Password = password;

        await Eventually.True(() => daemon.FreeSwitch.SentEvents.Count == 2, TimeSpan.FromSeconds(60));
        Assert.Equal(["call.started", "call.ended"], daemon.FreeSwitch.SentEvents.Select(e => e.Headers["Eslcallflow-Event"]));
    }
}
