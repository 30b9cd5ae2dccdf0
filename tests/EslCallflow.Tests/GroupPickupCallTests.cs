using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// The bundled 8000 (group_pickup, scope and approval: group sales = alice's 1001 and 1002, bob's 1003, and 1006)
/// through the real host, with the switch simulated as the pickup capture shows.
/// </summary>
public class GroupPickupCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static string Row(string uuid, string caller, string presence, long createdEpoch) => $$"""
        { "uuid": "{{uuid}}", "direction": "outbound", "created_epoch": "{{createdEpoch}}", "callstate": "RINGING",
          "presence_id": "{{presence}}", "call_uuid": "{{caller}}", "name": "sofia/internal/{{presence}}" }
        """;

    [Fact]
    public async Task A_7000_call_ringing_on_sales_is_picked_up_by_another_sales_device_and_the_ring_group_runs_no_child()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await using var caller = await daemon.CallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);

        await using var picker = await daemon.CallAsync("8000", "1006", fs.Intercepts);

        await picker.Closed.WaitAsync(Timeout);
        await caller.Closed.WaitAsync(Timeout);
        await Eventually.True(() => daemon.LogEvents("outcome answered by pickup").Count == 1, Timeout);
        // The caller is not answered: intercept's guard is the answer (a phone answering meanwhile wins).
        Assert.Equal(["set intercept_unanswered_only=true", "set intercept_unbridged_only=false", "intercept " + caller.Uuid], picker.Executions.Select(e => $"{e.Application} {e.Argument}"));
        Assert.Null(picker.HangupCause);
        Assert.Equal(1, fs.InterceptsByCaller[caller.Uuid]);
        Assert.DoesNotContain(caller.Executions, e => e.Application is "respond" or "playback");
        Assert.Single(caller.Executions, e => e.Application == "bridge");
        Assert.Null(caller.HangupCause);
        // The real switch ends the caller's bridge with ORIGINATOR_CANCEL, not PICKED_OFF: still a pickup.
        var outcome = Assert.Single(daemon.LogEvents("outcome answered by pickup"));
        Assert.Equal(("dev1006", caller.Uuid), (outcome.GetProperty("PickerDevice").GetString(), outcome.GetProperty("CallUuid").GetString()));
        Assert.Empty(daemon.LogEvents("outcome missed"));
        var metrics = await daemon.MetricsAsync();
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"picked_up\"} 1", metrics);
        Assert.DoesNotContain("outcome=\"missed\"", metrics);
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"group_pickup\",outcome=\"picked_up\"} 1", metrics);
        await daemon.WaitForRingingAsync(0);
    }

    [Fact]
    public async Task A_pickup_whose_disconnect_notice_comes_before_its_bridge_event_is_a_success()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch) { PickerNoticeBeforeBridge = true };
        await fs.RingPlainAsync("plain-caller", "1001");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("8000", "1003", fs.Intercepts);

        await picker.Closed.WaitAsync(Timeout);
        await WaitUntil(() => daemon.LogEvents("outcome picked up").Count == 1);
        Assert.Empty(daemon.LogEvents("bridged nothing"));
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"group_pickup\",outcome=\"picked_up\"} 1", await daemon.MetricsAsync());
        Assert.DoesNotContain(picker.Executions, e => e.Application == "respond");
    }

    [Fact]
    public async Task A_call_ringing_a_phone_with_early_media_is_picked_up()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch) { PhonesSendEarlyMedia = true };
        await using var caller = await daemon.CallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);

        await using var picker = await daemon.CallAsync("8000", "1006", fs.Intercepts);

        await picker.Closed.WaitAsync(Timeout);
        await caller.Closed.WaitAsync(Timeout);
        Assert.Empty(fs.Refused);
        await WaitUntil(() => daemon.LogEvents("outcome answered by pickup").Count == 1);
        Assert.DoesNotContain(picker.Executions, e => e.Application == "respond");
    }

    [Fact]
    public async Task A_caller_answered_earlier_by_a_greeting_is_picked_up_under_the_bridge_guard()
    {
        var config = RunningDaemon.ConfigWith(("7400.json", """
            { "id": "greeting-then-sales", "numbers": ["7400"], "flow": {
                "module": "play", "data": { "id": "silence_stream://100" },
                "children": { "_": { "module": "ring_group", "data": { "endpoints": [ { "id": "sales", "endpoint_type": "group" } ] } } } } }
            """));
        await using var daemon = await RunningDaemon.StartAsync(config);
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await using var caller = await daemon.CallAsync("7400", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);
        await WaitUntil(() => daemon.Tracker.Find(caller.Uuid) is { Answered: true });

        await using var picker = await daemon.CallAsync("8000", "1006", fs.Intercepts);

        await picker.Closed.WaitAsync(Timeout);
        Assert.Equal("answer", caller.Executions[0].Application);
        Assert.Equal(["set intercept_unanswered_only=false", "set intercept_unbridged_only=true", "intercept " + caller.Uuid], picker.Executions.Select(e => $"{e.Application} {e.Argument}"));
        Assert.Empty(fs.Refused);
        await WaitUntil(() => daemon.LogEvents("outcome answered by pickup").Count == 1);
    }

    [Fact]
    public async Task An_intercept_refused_by_its_guard_is_known_at_once_and_answered_with_480()
    {
        // The feed has not yet shown that the caller was answered a moment ago: the daemon guards on the
        // answer, FreeSWITCH's guard refuses silently, and the completion without a bridge says so at once.
        await using var daemon = await RunningDaemon.StartAsync(null, "--Pickup:BridgeTimeout=00:01:00");
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("just-answered-caller", "1001");
        fs.MarkAnswered("just-answered-caller");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("8000", "1003", fs.Intercepts);

        var respond = await picker.WaitForExecutionAsync("respond");
        Assert.Equal("480 No Call To Pick Up", respond.Argument);
        Assert.Equal("intercept_unanswered_only", fs.Refused["just-answered-caller"]);
        Assert.Single(daemon.LogEvents("bridged nothing"));
    }

    private static Task WaitUntil(Func<bool> condition) => Eventually.True(condition, Timeout);

    [Fact]
    public async Task A_device_outside_the_approved_group_is_refused_with_403_before_answer()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("caller-1", "1001");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("8000", "1004", fs.Intercepts);

        var respond = await picker.WaitForExecutionAsync("respond");
        Assert.Equal("403 Forbidden", respond.Argument);
        await picker.Closed.WaitAsync(Timeout);
        Assert.Empty(fs.InterceptsByCaller);
        var refused = Assert.Single(daemon.LogEvents("pickup refused"));
        Assert.Equal(("dev1004", "device dev1004 is not within approved_group_id sales"), (refused.GetProperty("PickerDevice").GetString(), refused.GetProperty("Reason").GetString()));
    }

    [Fact]
    public async Task Nothing_ringing_in_scope_is_an_immediate_480()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("caller-elsewhere", "1004");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("8000", "1003", fs.Intercepts);

        var respond = await picker.WaitForExecutionAsync("respond");
        Assert.Equal("480 No Call To Pick Up", respond.Argument);
        Assert.DoesNotContain(picker.Executions, e => e.Application == "intercept");
        await picker.Closed.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_call_rung_by_a_plain_bridge_without_our_variable_is_found_by_its_sip_identity()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("plain-caller", "1003");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("8000", "1001", fs.Intercepts);

        var intercept = await picker.WaitForExecutionAsync("intercept");
        Assert.Equal("plain-caller", intercept.Argument);
        await picker.Closed.WaitAsync(Timeout);
        await Eventually.True(() => daemon.LogEvents("outcome picked up").Count == 1, Timeout);
    }

    [Fact]
    public async Task The_call_ringing_longest_is_picked_first()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("newer-caller", "1001", ringingSinceMicros: 1_795_421_040_000_000);
        await fs.RingPlainAsync("older-caller", "1003", ringingSinceMicros: 1_795_421_030_000_000);
        await daemon.WaitForRingingAsync(2);

        await using var picker = await daemon.CallAsync("8000", "1006", fs.Intercepts);

        Assert.Equal("older-caller", (await picker.WaitForExecutionAsync("intercept")).Argument);
    }

    [Fact]
    public async Task Two_pickers_for_one_call_exactly_one_wins_and_the_other_gets_480_not_silence()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch) { InterceptDelay = TimeSpan.FromMilliseconds(500) };
        await fs.RingPlainAsync("only-caller", "1001");
        await daemon.WaitForRingingAsync(1);

        var pickers = await Task.WhenAll(daemon.CallAsync("8000", "1003", fs.Intercepts), daemon.CallAsync("8000", "1006", fs.Intercepts));
        await Task.WhenAll(pickers.Select(p => p.Closed)).WaitAsync(Timeout);

        Assert.Equal(1, fs.InterceptsByCaller["only-caller"]);
        Assert.Single(pickers, p => p.Executions.Any(e => e.Application == "intercept"));
        var loser = Assert.Single(pickers, p => p.Executions.Any(e => e.Application == "respond"));
        Assert.Equal("480 No Call To Pick Up", loser.Executions.Single(e => e.Application == "respond").Argument);
        Assert.Single(daemon.LogEvents("being picked up by someone else"));
        foreach (var picker in pickers)
        {
            await picker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_pickers_and_two_ringing_calls_each_picker_gets_one()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch) { InterceptDelay = TimeSpan.FromMilliseconds(300) };
        await fs.RingPlainAsync("caller-a", "1001", 1_795_421_030_000_000);
        await fs.RingPlainAsync("caller-b", "1002", 1_795_421_031_000_000);
        await daemon.WaitForRingingAsync(2);

        var pickers = await Task.WhenAll(daemon.CallAsync("8000", "1003", fs.Intercepts), daemon.CallAsync("8000", "1006", fs.Intercepts));
        await Task.WhenAll(pickers.Select(p => p.Closed)).WaitAsync(Timeout);

        Assert.Equal(["caller-a", "caller-b"], pickers.Select(p => p.Executions.Single(e => e.Application == "intercept").Argument).Order());
        Assert.All(pickers, p => Assert.DoesNotContain(p.Executions, e => e.Application == "respond"));
        foreach (var picker in pickers)
        {
            await picker.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_intercept_that_bridges_nothing_ends_in_480_not_dead_air()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, "--Pickup:BridgeTimeout=00:01:00");
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("vanishing-caller", "1001");
        await daemon.WaitForRingingAsync(1);
        // The switch no longer has the call (answered elsewhere a moment ago), the feed has not said so yet.
        await using var picker = await daemon.CallAsync("8000", "1003", (call, execution) =>
            execution.Application == "intercept" ? call.CompleteAsync(execution) : call.CompleteAsync(execution));

        var respond = await picker.WaitForExecutionAsync("respond");

        Assert.Equal("480 No Call To Pick Up", respond.Argument);
        Assert.Single(daemon.LogEvents("bridged nothing"));
    }

    [Fact]
    public async Task After_the_feed_drops_and_returns_a_call_that_started_ringing_meanwhile_is_found()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await daemon.FreeSwitch.WaitUntilAsync(f => f.SubscriptionCount >= 1, Timeout);
        daemon.FreeSwitch.Api = command => command switch
        {
            "show channels as json" => "{\"row_count\": 2, \"rows\": [" + Row("while-away-leg", "while-away-caller", "1002@127.0.0.1", 1795421035)
                + ", { \"uuid\": \"while-away-caller\", \"direction\": \"inbound\", \"created_epoch\": \"1795421035\", \"callstate\": \"RINGING\", \"presence_id\": \"1005@127.0.0.1\", \"call_uuid\": \"\" } ]}\n",
            "uuid_getvar while-away-leg eslcallflow_device_id" => "dev1002",
            _ => FakeFreeSwitch.DefaultApi(command),
        };
        fs.ForgetRinging("while-away-caller", "while-away-leg");

        daemon.FreeSwitch.DropConnections();
        await daemon.FreeSwitch.WaitUntilAsync(f => f.SubscriptionCount >= 2, Timeout);
        await daemon.WaitForRingingAsync(1);

        Assert.Equal("dev1002", daemon.Tracker.Find("while-away-leg")!.DeviceId);
        await using var picker = await daemon.CallAsync("8000", "1003", fs.Intercepts);
        Assert.Equal("while-away-caller", (await picker.WaitForExecutionAsync("intercept")).Argument);
        await picker.Closed.WaitAsync(Timeout);
        Assert.Null(picker.HangupCause);
    }
}
