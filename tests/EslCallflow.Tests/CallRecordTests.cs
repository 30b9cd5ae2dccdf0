using System.Text.Json;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// The record of each outcome, end to end: the daemon on the fake switch, a real HTTP receiver subscribed to every
/// event, and what that receiver gets for each call (issue 19, "The record").
/// </summary>
public class CallRecordTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static async Task<(RunningDaemon Daemon, WebhookReceiver Receiver)> StartAsync(string? config = null)
    {
        var receiver = await WebhookReceiver.StartAsync();
        var daemon = await RunningDaemon.StartAsync(config, HookArgs.For(receiver.Url));
        return (daemon, receiver);
    }

    private static async Task<IReadOnlyList<ReceivedHook>> EventsOfAsync(WebhookReceiver receiver, string callUuid)
    {
        await receiver.WaitForAsync(d => d.Any(h => h.CallUuid == callUuid && h.Type == "call.ended"), Timeout);
        return [.. receiver.Delivered.Where(h => h.CallUuid == callUuid)];
    }

    private static string? Text(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }
        return element.ValueKind switch { JsonValueKind.String => element.GetString(), JsonValueKind.Null => null, _ => element.GetRawText() };
    }

    [Fact]
    public async Task Answered_names_the_device_the_ring_and_talk_time_and_who_hung_up()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        var talking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered("leg-of-1001", talking.Task, callerHangsUp: true));
        await receiver.WaitForAsync(d => d.Any(h => h.CallUuid == call.Uuid && h.Type == "call.answered"), Timeout);
        talking.SetResult();

        var events = await EventsOfAsync(receiver, call.Uuid);

        Assert.Equal(["call.started", "call.ringing", "call.answered", "call.ended"], events.Select(e => e.Type));
        Assert.Equal([1L, 2, 3, 4], events.Select(e => e.Sequence));
        Assert.Single(events.Select(e => Text(e.Json, "record_id")).Distinct());
        var record = events[^1].Record;
        Assert.Equal(("answered", "7000", "sales-ring-group"), (Text(record, "outcome"), Text(record, "number"), Text(record, "callflow_id")));
        Assert.Equal(("dev1005", "true", "Caller", "1005"), (Text(record, "caller", "device_id"), Text(record, "caller", "internal"), Text(record, "caller", "caller_id_name"), Text(record, "caller", "caller_id_number")));
        var ring = Assert.Single(record.GetProperty("ring_attempts").EnumerateArray());
        Assert.Equal("simultaneous", Text(ring, "strategy"));
        Assert.Contains("dev1001", ring.GetProperty("rung").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(JsonValueKind.Array, ring.GetProperty("left_out").ValueKind);
        Assert.Equal("leg-of-1001", Text(record, "answered", "leg_uuid"));
        Assert.True(record.GetProperty("talk_seconds").GetDouble() >= 0);
        Assert.Equal(("caller", "NORMAL_CLEARING"), (Text(record, "hung_up_by"), Text(record, "hangup_cause")));
        Assert.NotNull(Text(record, "ended_at"));
        // The answer went out when the phone answered, before the end, with the record as it stood then.
        Assert.Equal("answered", Text(events[2].Record, "outcome"));
        Assert.Null(Text(events[2].Record, "ended_at"));
    }

    [Fact]
    public async Task Answered_with_no_bridge_event_seen_still_records_the_talk_from_the_completion()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        // No CHANNEL_BRIDGE anywhere (the feed down, say): only the bridge's completion says it was answered, and
        // FreeSWITCH's own times say the legs were joined 42.5 s before it.
        await using var call = await daemon.CallAsync("7000", "1005", (c, e) =>
        {
            if (e.Application != "bridge")
            {
                return c.CompleteAsync(e);
            }
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            return c.CompleteAsync(e, new Dictionary<string, string>
            {
                ["variable_originate_disposition"] = "SUCCESS",
                ["variable_last_bridge_to"] = "leg-of-1001",
                ["variable_last_bridge_hangup_cause"] = "NORMAL_CLEARING",
                ["Answer-State"] = "answered",
                ["Event-Date-Timestamp"] = now.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Caller-Channel-Bridged-Time"] = (now - 42_500_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        });

        var events = await EventsOfAsync(receiver, call.Uuid);

        Assert.Equal(["call.started", "call.ringing", "call.answered", "call.ended"], events.Select(e => e.Type));
        var record = events[^1].Record;
        Assert.Equal(("answered", "leg-of-1001"), (Text(record, "outcome"), Text(record, "answered", "leg_uuid")));
        Assert.Equal(42.5, record.GetProperty("talk_seconds").GetDouble(), 3);
        Assert.Equal(("NORMAL_CLEARING"), Text(record, "hangup_cause"));
        Assert.NotEqual("caller", Text(record, "hung_up_by"));
        var ended = Assert.Single(daemon.LogEvents("ended after"));
        Assert.Equal(42.5, ended.GetProperty("TalkSeconds").GetDouble(), 3);
    }

    [Fact]
    public async Task A_caller_ending_the_talk_is_the_cause_not_the_busy_member_that_declined_while_the_group_rang()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        // As the real switch sent it (soak, 7403: 2004 busy, 2005 answered, the caller hung up): the busy member's
        // hangup left USER_BUSY in the caller's last_bridge_hangup_cause, and nothing overwrote it before the end.
        await using var call = await daemon.CallAsync("7000", "1005", (c, e) => e.Application != "bridge"
            ? c.CompleteAsync(e)
            : c.CompleteAsync(e, new Dictionary<string, string>
            {
                ["variable_originate_disposition"] = "SUCCESS",
                ["variable_last_bridge_to"] = "leg-of-1001",
                ["variable_last_bridge_hangup_cause"] = "USER_BUSY",
                ["Answer-State"] = "hangup",
                ["Hangup-Cause"] = "NORMAL_CLEARING",
            }));

        var record = (await EventsOfAsync(receiver, call.Uuid))[^1].Record;

        Assert.Equal(("answered", "caller", "NORMAL_CLEARING"), (Text(record, "outcome"), Text(record, "hung_up_by"), Text(record, "hangup_cause")));
    }

    [Fact]
    public async Task Picked_up_the_picked_call_and_the_pickers_call_name_each_other()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await using var caller = await daemon.CallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);
        await using var picker = await daemon.CallAsync("8000", "1006", fs.Intercepts);
        await receiver.WaitForAsync(d => d.Count(h => h.Type == "call.picked_up") == 2, Timeout);
        // Both records end with the conversation, which the caller ends here.
        await fs.HangUpAsync(caller.Uuid, "NORMAL_CLEARING", partner: picker.Uuid);

        var picked = (await EventsOfAsync(receiver, caller.Uuid))[^1].Record;
        var pickerRecord = (await EventsOfAsync(receiver, picker.Uuid))[^1].Record;

        Assert.Equal("picked_up", Text(picked, "outcome"));
        Assert.Equal(("dev1006", picker.Uuid), (Text(picked, "picked_up", "by_device_id"), Text(picked, "picked_up", "picker_call_uuid")));
        Assert.NotNull(Text(picked, "picked_up", "from_device_id"));
        Assert.Equal("picked_up", Text(pickerRecord, "outcome"));
        Assert.Equal(caller.Uuid, Text(pickerRecord, "pickup", "picked_call_uuid"));
        Assert.Equal(Text(picked, "picked_up", "from_device_id"), Text(pickerRecord, "pickup", "from_device_id"));
        Assert.Contains(receiver.Delivered, h => h.CallUuid == caller.Uuid && h.Type == "call.picked_up");
        Assert.Contains(receiver.Delivered, h => h.CallUuid == picker.Uuid && h.Type == "call.picked_up");
        Assert.Equal(("caller", "picked_call"), (Text(picked, "hung_up_by"), Text(pickerRecord, "hung_up_by")));
    }

    [Fact]
    public async Task Missed_with_the_cause_when_nobody_answers()
    {
        var config = RunningDaemon.ConfigWith(("7400.json", """
            { "id": "no-child", "numbers": ["7400"], "flow": { "module": "ring_group", "data": { "endpoints": [ { "id": "dev1001", "endpoint_type": "device" } ] } } }
            """));
        var (daemon, receiver) = await StartAsync(config);
        await using var _ = daemon;
        await using var __ = receiver;
        await using var call = await daemon.CallAsync("7400", "1005", Bridges.Fails("NO_ANSWER"));

        var events = await EventsOfAsync(receiver, call.Uuid);

        Assert.Equal(["call.started", "call.ringing", "call.missed", "call.ended"], events.Select(e => e.Type));
        var record = events[^1].Record;
        Assert.Equal(("missed", "NO_ANSWER", "false"), (Text(record, "outcome"), Text(record, "missed", "cause"), Text(record, "missed", "caller_hung_up")));
        Assert.Equal(("NO_ANSWER", "daemon"), (Text(record, "hangup_cause"), Text(record, "hung_up_by")));
    }

    [Fact]
    public async Task Missed_when_the_caller_hangs_up_while_phones_ring()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.RingsForever);
        await call.WaitForExecutionAsync("bridge");
        await call.CallerHangsUpAsync("ORIGINATOR_CANCEL");

        var events = await EventsOfAsync(receiver, call.Uuid);

        Assert.Contains("call.missed", events.Select(e => e.Type));
        var record = events[^1].Record;
        Assert.Equal(("missed", "ORIGINATOR_CANCEL", "true"), (Text(record, "outcome"), Text(record, "missed", "cause"), Text(record, "missed", "caller_hung_up")));
        Assert.Equal(("caller", "ORIGINATOR_CANCEL"), (Text(record, "hung_up_by"), Text(record, "hangup_cause")));
    }

    [Fact]
    public async Task Refused_and_nothing_to_pick_up_are_pickup_outcomes_with_their_sip_code()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        await using var outsider = await daemon.CallAsync("8000", "1005");
        await using var nobody = await daemon.CallAsync("8000", "1006");

        var refused = await EventsOfAsync(receiver, outsider.Uuid);
        var nothing = await EventsOfAsync(receiver, nobody.Uuid);

        Assert.Equal(["call.started", "call.pickup_refused", "call.ended"], refused.Select(e => e.Type));
        Assert.Equal(("refused", "403"), (Text(refused[^1].Record, "outcome"), Text(refused[^1].Record, "pickup", "sip_code")));
        Assert.Equal(["call.started", "call.nothing_to_pick_up", "call.ended"], nothing.Select(e => e.Type));
        Assert.Equal(("nothing_to_pick_up", "480", "daemon"), (Text(nothing[^1].Record, "outcome"), Text(nothing[^1].Record, "pickup", "sip_code"), Text(nothing[^1].Record, "hung_up_by")));
    }

    [Fact]
    public async Task Unallocated_has_no_callflow_and_the_daemons_cause()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        await using var call = await daemon.CallAsync("5555", "1005");

        var events = await EventsOfAsync(receiver, call.Uuid);

        Assert.Equal(["call.started", "call.ended"], events.Select(e => e.Type));
        var record = events[^1].Record;
        Assert.Equal(("unallocated", null, "UNALLOCATED_NUMBER", "daemon"), (Text(record, "outcome"), Text(record, "callflow_id"), Text(record, "hangup_cause"), Text(record, "hung_up_by")));
    }

    [Fact]
    public async Task Error_when_the_switch_refuses_the_flows_commands()
    {
        var (daemon, receiver) = await StartAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        // Refusing from the first command on: the daemon's batch can be out before DialAsync returns.
        await using var call = await FakeCall.DialAsync(daemon.CallEndpoint, new FakeCallSetup { Destination = "7000", SipUser = "1005", RefuseExecute = _ => "-ERR no such application" });

        var events = await EventsOfAsync(receiver, call.Uuid);

        var record = events[^1].Record;
        Assert.Equal(("error", "NORMAL_TEMPORARY_FAILURE", "daemon"), (Text(record, "outcome"), Text(record, "hangup_cause"), Text(record, "hung_up_by")));
    }

    [Fact]
    public async Task Get_calls_lists_the_calls_in_progress_and_the_last_that_ended()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var ringing = await daemon.CallAsync("7000", "1005", Bridges.RingsForever);
        await ringing.WaitForExecutionAsync("bridge");
        await using (var done = await daemon.CallAsync("5555", "1005"))
        {
            await done.Closed.WaitAsync(Timeout);
        }
        using var http = new HttpClient();

        JsonElement calls = default;
        await Eventually.True(() =>
        {
            calls = JsonDocument.Parse(http.GetStringAsync(new Uri(daemon.Http, "/calls?limit=10")).Result).RootElement;
            return calls.GetProperty("recent").GetArrayLength() == 1;
        }, Timeout);

        var inProgress = Assert.Single(calls.GetProperty("in_progress").EnumerateArray());
        Assert.Equal((ringing.Uuid, (string?)null), (Text(inProgress, "call_uuid"), Text(inProgress, "ended_at")));
        Assert.Equal("unallocated", Text(calls.GetProperty("recent")[0], "outcome"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await http.GetAsync(new Uri(daemon.Http, "/calls?limit=x"))).StatusCode);
    }
}
