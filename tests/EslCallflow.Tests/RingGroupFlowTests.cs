using Microsoft.Extensions.DependencyInjection;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Testing;
using EslCallflow.Testing.FreeSwitchModel;

namespace EslCallflow.Tests;

/// <summary>Strategies, cause-keyed children, repeats and skip_module through the real host.</summary>
public class RingGroupFlowTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly string Config = RunningDaemon.ConfigWith(
        ("7100.json", """
        { "id": "single-desks", "numbers": ["7100"], "flow": {
            "module": "ring_group",
            "data": { "strategy": "single", "timeout": 30, "endpoints": [
                { "id": "dev1003", "endpoint_type": "device", "timeout": 10 },
                { "id": "dev1004", "endpoint_type": "device", "timeout": 10 },
                { "id": "dev1006", "endpoint_type": "device", "timeout": 10 } ] },
            "children": {
              "USER_BUSY": { "module": "response", "data": { "code": 486, "message": "Busy Here" } },
              "NO_ANSWER": { "module": "response", "data": { "code": 408, "message": "Nobody Answered" } },
              "_": { "module": "response", "data": { "code": 480, "message": "Nobody Available" } } } } }
        """),
        ("7200.json", """
        { "id": "three-tries", "numbers": ["7200"], "flow": {
            "module": "ring_group",
            "data": { "repeats": 3, "endpoints": [ { "id": "sales", "endpoint_type": "group" } ] },
            "children": { "_": { "module": "response", "data": { "code": 480, "message": "Nobody Available" } } } } }
        """),
        ("7300.json", """
        { "id": "closed", "numbers": ["7300"], "flow": {
            "module": "ring_group",
            "data": { "skip_module": true, "endpoints": [ { "id": "sales", "endpoint_type": "group" } ] },
            "children": { "_": { "module": "play", "data": { "id": "tone_stream://%(250,0,440)", "answer": false },
                                 "children": { "_": { "module": "response", "data": { "code": 404, "message": "Closed" } } } } } } }
        """),
        ("7400.json", """
        { "id": "odd-message", "numbers": ["7400"], "flow": {
            "module": "response", "data": { "code": 486, "message": "O\\'Brien's \\\\ desk: $$5 {off} [x] \"busy\"" } } }
        """),
        ("7500.json", """
        { "id": "desk-then-backup", "numbers": ["7500"], "flow": {
            "module": "ring_group",
            "data": { "endpoints": [ { "id": "dev1003", "endpoint_type": "device" } ] },
            "children": { "_": { "module": "ring_group",
                                 "data": { "endpoints": [ { "id": "dev1004", "endpoint_type": "device" } ] } } } } }
        """));

    [Fact]
    public async Task Single_rings_the_members_in_order_in_one_bridge_and_stops_at_the_one_that_answers()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        await using var call = await daemon.CallAsync("7100", "1005", Bridges.AnsweredInTurnBy("dev1004"));

        await call.Closed.WaitAsync(Timeout);

        var bridges = call.Executions.Where(e => e.Application == "bridge").ToList();
        var dial = FreeSwitchDialString.Parse(Assert.Single(bridges).Argument!);
        Assert.Equal('|', dial.Separator);
        Assert.Equal(["user/1003@127.0.0.1", "user/1004@127.0.0.1", "user/1006@127.0.0.1"], dial.Legs.Select(l => l.Endpoint));
        Assert.Equal(["10", "10", "10"], dial.Legs.Select(l => l.Variables["leg_timeout"]));
        Assert.DoesNotContain(call.Executions, e => e.Application is "ring_ready" or "respond");
        Assert.Null(call.HangupCause);
    }

    [Theory]
    [InlineData("USER_BUSY", "486 Busy Here")]
    [InlineData("NO_ANSWER", "408 Nobody Answered")]
    [InlineData("CALL_REJECTED", "480 Nobody Available")]
    public async Task A_failed_bridge_runs_the_child_keyed_by_its_cause_else_the_wildcard(string cause, string response)
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        await using var call = await daemon.CallAsync("7100", "1005", Bridges.Fails(cause));

        var respond = await call.WaitForExecutionAsync("respond");

        Assert.Equal(response, respond.Argument);
        await call.Closed.WaitAsync(Timeout);
        Assert.Single(call.Executions, e => e.Application == "bridge");
    }

    [Fact]
    public async Task A_response_message_reaches_the_respond_application_exactly_after_argument_expansion()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        await using var call = await daemon.CallAsync("7400", "1005");

        var respond = await call.WaitForExecutionAsync("respond");

        // switch_core_session_exec expands the argument before mod_dptools respond_function sees it.
        Assert.Equal(@"486 O\'Brien's \\ desk: $$5 {off} [x] ""busy""", VariableExpansion.Expand(respond.Argument!).Text);
    }

    [Fact]
    public async Task Repeats_ring_the_group_again_before_the_wildcard_child()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        await using var call = await daemon.CallAsync("7200", "1005", Bridges.Fails("NO_ANSWER"));

        var respond = await call.WaitForExecutionAsync("respond");

        Assert.Equal("480 Nobody Available", respond.Argument);
        var bridges = call.Executions.Where(e => e.Application == "bridge").Select(e => e.Argument).ToList();
        Assert.Equal(3, bridges.Count);
        Assert.All(bridges, b => Assert.Equal(bridges[0], b));
        Assert.Equal(3, call.Executions.Count(e => e.Application == "ring_ready"));
    }

    [Fact]
    public async Task Repeats_stop_as_soon_as_an_attempt_is_answered()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        var attempts = 0;
        await using var call = await daemon.CallAsync("7200", "1005", (c, e) =>
            e.Application == "bridge" && Interlocked.Increment(ref attempts) == 1 ? Bridges.Fails("NO_ANSWER")(c, e) : Bridges.Answered()(c, e));

        await call.Closed.WaitAsync(Timeout);

        Assert.Equal(2, call.Executions.Count(e => e.Application == "bridge"));
        Assert.DoesNotContain(call.Executions, e => e.Application == "respond");
    }

    [Fact]
    public async Task Skip_module_goes_straight_to_the_wildcard_child_without_ringing()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        await using var call = await daemon.CallAsync("7300", "1005");

        await call.Closed.WaitAsync(Timeout);

        Assert.Equal(["playback tone_stream://%(250,0,440)", "respond 404 Closed"], call.Executions.Select(e => $"{e.Application} {e.Argument}"));
        Assert.Equal("NORMAL_CLEARING", call.HangupCause);
    }

    [Fact]
    public async Task Every_log_line_about_a_call_carries_its_uuid_number_and_module()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        await using var call = await daemon.CallAsync("7100", "1005", Bridges.AnsweredInTurnBy("dev1004"));
        await call.Closed.WaitAsync(Timeout);

        var ringing = Assert.Single(daemon.LogEvents("ringing {LegCount}"));
        Assert.Equal(call.Uuid, ringing.GetProperty("CallUuid").GetString());
        Assert.Equal("7100", ringing.GetProperty("Number").GetString());
        Assert.Equal("ring_group", ringing.GetProperty("Module").GetString());
        var outcome = Assert.Single(daemon.LogEvents("outcome answered"));
        Assert.Equal(call.Uuid, outcome.GetProperty("CallUuid").GetString());
    }

    [Fact]
    public async Task Stopping_the_daemon_lets_a_ringing_call_finish_and_refuses_new_ones()
    {
        var daemon = await RunningDaemon.StartAsync(Config);
        var bridge = new TaskCompletionSource<FakeExecution>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var call = await daemon.CallAsync("7000", "1005", (c, e) =>
        {
            if (e.Application == "bridge")
            {
                bridge.SetResult(e);
                return Task.CompletedTask;
            }
            return c.CompleteAsync(e);
        });
        var ringing = await bridge.Task.WaitAsync(Timeout);
        var endpoint = daemon.CallEndpoint;

        var stopping = daemon.DisposeAsync().AsTask();
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted);
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => FakeCall.DialAsync(endpoint, new FakeCallSetup { Destination = "7000", SipUser = "1005" }));

        await call.CompleteAsync(ringing, new Dictionary<string, string> { ["variable_originate_disposition"] = "SUCCESS", ["variable_last_bridge_to"] = "b-leg" });
        await stopping.WaitAsync(Timeout);
        await call.Closed.WaitAsync(Timeout);
        Assert.Null(call.HangupCause);
    }

    [Fact]
    public async Task Every_module_a_document_may_use_has_a_runner()
    {
        await using var daemon = await RunningDaemon.StartAsync();

        var modules = daemon.Host.Services.GetRequiredService<Calls.CallflowModules>();

        Assert.Equal(Callflows.Modules.ModuleCatalog.Names.Order(StringComparer.Ordinal), modules.Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_missed_ring_group_whose_child_rings_again_and_is_answered_counts_one_answered_call()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        var bridges = 0;
        var missThenAnswer = Bridges.Fails("NO_ANSWER");
        var answered = Bridges.Answered();
        await using var call = await daemon.CallAsync("7500", "1005", (c, e) =>
            e.Application == "bridge" && Interlocked.Increment(ref bridges) > 1 ? answered(c, e) : missThenAnswer(c, e));

        await call.Closed.WaitAsync(Timeout);
        var metrics = daemon.Host.Services.GetRequiredService<Metrics.DaemonMetrics>();
        await Eventually.True(() => metrics.Calls("answered") > 0, Timeout);

        var text = await daemon.MetricsAsync();
        Assert.Contains("eslcallflow_calls_total{outcome=\"answered\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("eslcallflow_calls_total{outcome=\"missed\"}", text, StringComparison.Ordinal);
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"missed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"answered\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ring_group_that_fails_into_a_response_counts_one_call_that_ended_with_the_response()
    {
        await using var daemon = await RunningDaemon.StartAsync(Config);
        await using var call = await daemon.CallAsync("7100", "1005", Bridges.Fails("USER_BUSY"));

        await call.Closed.WaitAsync(Timeout);
        var metrics = daemon.Host.Services.GetRequiredService<Metrics.DaemonMetrics>();
        await Eventually.True(() => metrics.Calls("responded") > 0, Timeout);

        var text = await daemon.MetricsAsync();
        Assert.Contains("eslcallflow_calls_total{outcome=\"responded\"} 1", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n'), l => l.StartsWith("eslcallflow_calls_total{", StringComparison.Ordinal));
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"response\",outcome=\"responded\"} 1", text, StringComparison.Ordinal);
    }
}
