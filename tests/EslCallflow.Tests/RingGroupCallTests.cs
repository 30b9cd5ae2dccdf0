using EslCallflow.Testing;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Routing;

namespace EslCallflow.Tests;

public class RingGroupCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static string ExpectedDialString(string fromDevice)
    {
        var config = ConfigurationLoader.LoadFolder(RunningDaemon.BundledConfig).Configuration!;
        return CallPlanner.Plan(config, "7000", config.Devices[fromDevice], 1).RingGroup!.DialString!;
    }

    [Theory]
    [InlineData("true", "true", false)]
    [InlineData("true", null, true)]
    [InlineData("NORMAL_TEMPORARY_FAILURE,USER_BUSY", "true", true)]
    public async Task The_bridge_settings_are_sent_unless_the_dialplan_set_both_already(string? continueOnFail, string? hangupAfterBridge, bool sent)
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var variables = new Dictionary<string, string>();
        if (continueOnFail is not null)
        {
            variables["continue_on_fail"] = continueOnFail;
        }
        if (hangupAfterBridge is not null)
        {
            variables["hangup_after_bridge"] = hangupAfterBridge;
        }
        await using var call = await FakeCall.DialAsync(daemon.CallEndpoint, new FakeCallSetup { Destination = "7000", SipUser = "1005", Variables = variables }, Bridges.Answered());

        await call.Closed.WaitAsync(Timeout);

        Assert.Equal(sent, call.Executions.Any(e => e.Application == "multiset"));
        Assert.Equal("bridge", call.Executions[^1].Application);
    }

    [Fact]
    public async Task Simultaneous_ring_group_answered_sends_the_planned_commands_and_leaves_the_caller_bridged()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered());

        await call.Closed.WaitAsync(Timeout);

        Assert.Equal(
            ["set ringback=%(2000,4000,440,480)", "set transfer_ringback=%(2000,4000,440,480)", "multiset continue_on_fail=true hangup_after_bridge=true", "ring_ready", "bridge " + ExpectedDialString("dev1005")],
            call.Executions.Select(e => e.Argument is null ? e.Application : $"{e.Application} {e.Argument}"));
        Assert.Null(call.HangupCause);
        Assert.Equal("exit", call.Commands.Last());
    }

    [Fact]
    public async Task The_answer_is_logged_and_counted_when_the_phone_answers_and_the_end_when_the_call_ends()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var talking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered("leg-of-1001", talking.Task, callerHangsUp: true));

        // The conversation is still going on: the bridge has not completed.
        await WaitUntil(() => daemon.LogEvents("outcome answered by").Count == 1);
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"answered\"} 1", await daemon.MetricsAsync());
        Assert.Empty(daemon.LogEvents("ended after"));
        var answered = daemon.LogEvents("outcome answered by")[0];
        Assert.Equal(("leg-of-1001", call.Uuid), (answered.GetProperty("AnsweredLeg").GetString(), answered.GetProperty("CallUuid").GetString()));
        Assert.True(answered.GetProperty("RingSeconds").GetDouble() >= 0);

        talking.SetResult();
        await call.Closed.WaitAsync(Timeout);
        await WaitUntil(() => daemon.LogEvents("ended after").Count == 1);
        var ended = daemon.LogEvents("ended after")[0];
        Assert.Equal(("caller", call.Uuid), (ended.GetProperty("HungUpBy").GetString(), ended.GetProperty("CallUuid").GetString()));
        Assert.Single(daemon.LogEvents("outcome answered by"));
    }

    [Fact]
    public async Task Without_async_in_the_socket_application_the_answer_is_told_from_the_channel_feed_while_the_call_goes_on()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var talking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var call = await FakeCall.DialAsync(daemon.CallEndpoint, new FakeCallSetup { Destination = "7000", SipUser = "1005", Async = false },
            Bridges.Answered("leg-of-1001", talking.Task, callerHangsUp: true));
        try
        {
            await AnswerSeenOnTheFeedAsync(daemon, call);
        }
        finally
        {
            // Also when the assertions fail: a bridge left running would hold the daemon's drain.
            talking.TrySetResult();
        }
        await call.Closed.WaitAsync(Timeout);
        await WaitUntil(() => daemon.LogEvents("ended after").Count == 1);
        Assert.Single(daemon.LogEvents("outcome answered by"));
        Assert.Equal(["set ringback=%(2000,4000,440,480)", "set transfer_ringback=%(2000,4000,440,480)", "multiset continue_on_fail=true hangup_after_bridge=true", "ring_ready", "bridge " + ExpectedDialString("dev1005")],
            call.Executions.Select(e => e.Argument is null ? e.Application : $"{e.Application} {e.Argument}"));
        Assert.Contains("eslcallflow_calls_total{outcome=\"answered\"} 1", await daemon.MetricsAsync());
    }

    private static async Task AnswerSeenOnTheFeedAsync(RunningDaemon daemon, FakeCall call)
    {
        await call.WaitForExecutionAsync("bridge");
        await daemon.FreeSwitch.WaitUntilAsync(fs => fs.SubscriptionCount > 0);

        // The call's own socket is silent while the bridge runs inline; the feed carries the caller's bridge.
        await daemon.FreeSwitch.PublishAsync(call.Event("CHANNEL_BRIDGE", new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Channel-Call-State"] = "ACTIVE",
            ["Other-Leg-Unique-ID"] = "leg-of-1001",
        }));
        await WaitUntil(() => daemon.LogEvents("outcome answered by").Count == 1);
        var answered = daemon.LogEvents("outcome answered by")[0];
        Assert.Equal(("leg-of-1001", call.Uuid), (answered.GetProperty("AnsweredLeg").GetString(), answered.GetProperty("CallUuid").GetString()));
        Assert.False(call.Closed.IsCompleted);
        Assert.Empty(daemon.LogEvents("ended after"));
    }

    [Fact]
    public async Task A_call_ended_by_the_answering_phone_says_the_phone_hung_up()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered("leg-of-1002"));

        await call.Closed.WaitAsync(Timeout);

        await WaitUntil(() => daemon.LogEvents("ended after").Count == 1);
        var ended = daemon.LogEvents("ended after")[0];
        Assert.NotEqual("caller", ended.GetProperty("HungUpBy").GetString());
        Assert.Equal("NORMAL_CLEARING", ended.GetProperty("Cause").GetString());
    }

    [Fact]
    public async Task No_answer_goes_to_the_wildcard_child_which_responds_480()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Fails("NO_ANSWER"));

        var respond = await call.WaitForExecutionAsync("respond");

        Assert.Equal("480 Nobody Available", respond.Argument);
        await call.Closed.WaitAsync(Timeout);
        Assert.Equal("NORMAL_CLEARING", call.HangupCause);
    }

    [Fact]
    public async Task A_number_without_a_callflow_is_hung_up_as_unallocated()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.CallAsync("5555", "1005");

        await call.Closed.WaitAsync(Timeout);

        Assert.Equal("UNALLOCATED_NUMBER", call.HangupCause);
        Assert.Empty(call.Executions);
    }

    [Fact]
    public async Task The_caller_hanging_up_while_phones_ring_ends_the_session_without_running_children()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.RingsForever);
        await call.WaitForExecutionAsync("bridge");

        await call.CallerHangsUpAsync("ORIGINATOR_CANCEL");

        await call.Closed.WaitAsync(Timeout);
        Assert.DoesNotContain(call.Executions, e => e.Application == "respond");
        await WaitUntil(() => daemon.ActiveCalls == 0);
    }

    [Fact]
    public async Task The_inbound_connection_dropping_mid_call_does_not_touch_the_call()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var bridge = new TaskCompletionSource<FakeExecutionHolder>();
        await using var call = await daemon.CallAsync("7000", "1005", (c, e) =>
        {
            if (e.Application == "bridge")
            {
                bridge.SetResult(new FakeExecutionHolder(c, e));
                return Task.CompletedTask;
            }
            return c.CompleteAsync(e);
        });
        var held = await bridge.Task.WaitAsync(Timeout);
        await daemon.FreeSwitch.WaitUntilAsync(f => f.SubscriptionCount >= 1);

        daemon.FreeSwitch.DropConnections();
        await held.Call.CompleteAsync(held.Execution, new Dictionary<string, string> { ["variable_originate_disposition"] = "SUCCESS", ["variable_last_bridge_to"] = "b-leg" });

        await call.Closed.WaitAsync(Timeout);
        Assert.Null(call.HangupCause);
        await daemon.FreeSwitch.WaitUntilAsync(f => f.SubscriptionCount >= 2, Timeout);
    }

    [Fact]
    public async Task A_broken_configuration_stops_the_daemon_from_starting_with_the_errors()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-bad").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "callflows"));
        await File.WriteAllTextAsync(Path.Combine(folder, "callflows", "x.json"), """{ "id": "x", "numbers": ["1"], "flow": { "module": "nope" } }""");

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => RunningDaemon.StartAsync(folder));

        Assert.Contains(error.Failures, f => f.Contains("callflows/x.json: document 'x' $.flow.module: unknown module 'nope'", StringComparison.Ordinal));
    }

    private static Task WaitUntil(Func<bool> condition) => Eventually.True(condition, Timeout);

    private sealed record FakeExecutionHolder(Testing.FakeCall Call, Testing.FakeExecution Execution);
}
