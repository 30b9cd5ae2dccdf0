using EslCallflow.Callflows;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Routing;
using EslCallflow.Dialplan;
using EslCallflow.Records;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;
using static EslCallflow.Tests.RingGroupFeatureScenes;

namespace EslCallflow.Tests;

/// <summary>
/// Issue 31's ring-group features on the dialplan fast path, planned by the socket path's own pieces
/// (<see cref="Calls.Ringing.RingMemory"/>): skip_busy, round_robin, least_recent; and what the fast path leaves to the
/// outbound socket (ring_group_toggle; a pickup with several switches).
/// </summary>
public class DialplanFeatureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static CallRecord? LastRecord(RunningDaemon daemon) => daemon.Host.Services.GetRequiredService<CallRecords>().Recent(1) is [var last, ..] ? last : null;

    private static string[] Rung(FakeDialplanCall call, int bridge = 0) =>
        [.. FreeSwitchDialString.Parse(call.Executions.Where(e => e.Application == "bridge").ElementAt(bridge).Argument!).Legs.Select(l => l.Variables[DialString.DeviceVariable])];

    [Fact]
    public async Task Skip_busy_leaves_out_a_member_on_a_call_and_everyone_busy_runs_the_USER_BUSY_child()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"skip_busy\": true,"))));
        await OnACallAsync(daemon, "dev1001");

        await using (var call = await daemon.DialplanCallAsync("7100", "1005", DialplanBridges.Fails("NO_ANSWER")))
        {
            await call.Ended.WaitAsync(Timeout);
            Assert.Equal(["dev1003", "dev1004"], Rung(call));
        }
        await Eventually.True(() => LastRecord(daemon) is { RingAttempts.Count: 1 }, Timeout);
        Assert.Equal([new LeftOut("dev1001", "busy")], LastRecord(daemon)!.RingAttempts.Single().LeftOut);

        await OnACallAsync(daemon, "dev1003");
        await OnACallAsync(daemon, "dev1004");
        await using var busy = await daemon.DialplanCallAsync("7100", "1005", DialplanBridges.Fails("NO_ANSWER"));
        await busy.Ended.WaitAsync(Timeout);

        Assert.DoesNotContain(busy.Executions, e => e.Application == "bridge");
        Assert.Equal("486 Busy Here", busy.Response);
        Assert.Single(busy.Fetches);
    }

    [Fact]
    public async Task Everyone_busy_without_a_child_ends_the_call_with_USER_BUSY()
    {
        var config = RunningDaemon.ConfigWith(("rg.json", """
            { "id": "rg-7101", "numbers": ["7101"], "flow": { "module": "ring_group",
              "data": { "skip_busy": true, "endpoints": [ { "id": "dev1001", "endpoint_type": "device" } ] } } }
            """));
        await using var daemon = await RunningDaemon.StartAsync(config);
        await OnACallAsync(daemon, "dev1001");

        await using var call = await daemon.DialplanCallAsync("7101", "1005");
        await call.Ended.WaitAsync(Timeout);

        Assert.Equal("USER_BUSY", call.HangupCause);
        Assert.DoesNotContain(call.Executions, e => e.Application == "bridge");
    }

    [Fact]
    public async Task Round_robin_starts_each_call_after_the_last_start_as_on_the_socket()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"strategy\": \"round_robin\","))));
        var starts = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            await using var call = await daemon.DialplanCallAsync("7100", "1005", DialplanBridges.Fails("NO_ANSWER"));
            await call.Ended.WaitAsync(Timeout);
            starts.Add(Rung(call)[0]);
        }

        Assert.Equal(["dev1001", "dev1003", "dev1004", "dev1001"], starts);
        await Eventually.True(() => LastRecord(daemon) is not null, Timeout);
        Assert.Equal("round_robin", LastRecord(daemon)!.RingAttempts.Single().Strategy);
    }

    [Fact]
    public async Task Round_robin_repeats_start_where_the_call_started()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"strategy\": \"round_robin\", \"repeats\": 2,"))));

        await using var call = await daemon.DialplanCallAsync("7100", "1005", DialplanBridges.Fails("NO_ANSWER"));
        await call.Ended.WaitAsync(Timeout);

        Assert.Equal(Rung(call, 0), Rung(call, 1));
        Assert.Equal(3, call.Fetches.Count);
    }

    [Fact]
    public async Task Least_recent_rings_whoever_answered_last_at_the_end()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"strategy\": \"least_recent\","))));
        await OnACallAsync(daemon, "dev1001", "leg-dev1001");

        await using (var answered = await daemon.DialplanCallAsync("7100", "1005", DialplanBridges.Answered("leg-dev1001")))
        {
            await answered.Ended.WaitAsync(Timeout);
            Assert.Equal(["dev1001", "dev1003", "dev1004"], Rung(answered));
        }
        // The daemon has seen the answer (the feed) and the end of that call.
        await Eventually.True(() => LastRecord(daemon) is not null, Timeout);
        await using var next = await daemon.DialplanCallAsync("7100", "1005", DialplanBridges.Fails("NO_ANSWER"));
        await next.Ended.WaitAsync(Timeout);

        Assert.Equal(["dev1003", "dev1004", "dev1001"], Rung(next));
    }

    [Fact]
    public async Task An_external_caller_s_own_name_after_the_prefix_reaches_bridge_as_the_socket_sends_it()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"caller_id_name_prefix\": \"Sales/Support: \","))));
        const string name = "Zoë O'Brien, Jr!";

        await using var viaSocket = await FakeCall.DialAsync(daemon.CallEndpoint,
            new FakeCallSetup { Destination = "7100", CallerIdName = name, CallerIdNumber = "15551234", Switch = daemon.FreeSwitch }, Bridges.Fails("NO_ANSWER"));
        await viaSocket.Closed.WaitAsync(Timeout);
        await using var viaXml = await FakeDialplanCall.DialAsync(daemon.DialplanUrl,
            new FakeDialplanSetup { Destination = "7100", CallerIdName = name, CallerIdNumber = "15551234", Switch = daemon.FreeSwitch },
            DialplanBridges.Fails("NO_ANSWER"));
        await viaXml.Ended.WaitAsync(Timeout);

        // What bridge itself receives (switch_core_session_exec expands its argument first): the same on both ways in,
        // though the XML writes the apostrophe's backslashes through a variable (DialplanDocument).
        var socketArgument = viaSocket.Executions.Single(e => e.Application == "bridge").Argument!;
        var xmlArgument = viaXml.Executions.First(e => e.Application == "bridge").Argument!;
        Assert.NotEqual(socketArgument, xmlArgument);
        Assert.Equal(Testing.FreeSwitchModel.VariableExpansion.Expand(socketArgument).Text,
            Testing.FreeSwitchModel.VariableExpansion.Expand(xmlArgument, viaXml.Variables).Text);
        Assert.All(FreeSwitchDialString.Parse(socketArgument).Legs, leg => Assert.Equal("Sales/Support: " + name, Testing.FreeSwitchModel.SofiaCallerId.OnPhone(leg)));
    }

    [Fact]
    public async Task Confirm_reaches_the_leg_as_on_the_socket()
    {
        var config = RunningDaemon.ConfigWith(("rg.json", """
            { "id": "rg-7102", "numbers": ["7102"], "flow": { "module": "ring_group", "data": {
                "endpoints": [ { "id": "dev1001", "endpoint_type": "device", "confirm": true, "confirm_timeout": 8 }, { "id": "dev1003", "endpoint_type": "device" } ] } } }
            """));
        await using var daemon = await RunningDaemon.StartAsync(config);

        await using var call = await daemon.DialplanCallAsync("7102", "1005", DialplanBridges.Fails("NO_ANSWER"));
        await call.Ended.WaitAsync(Timeout);

        var expected = CallPlanner.Plan(ConfigurationLoader.LoadFolder(config).Configuration!, "7102", null, 1).RingGroup!.DialString!;
        Assert.Equal(FreeSwitchDialString.Parse(expected).Legs.Select(l => l.Variables.GetValueOrDefault("group_confirm_timeout")),
            FreeSwitchDialString.Parse(call.Executions.First(e => e.Application == "bridge").Argument!).Legs.Select(l => l.Variables.GetValueOrDefault("group_confirm_timeout")));
        Assert.Equal("8", FreeSwitchDialString.Parse(call.Executions.First(e => e.Application == "bridge").Argument!).Legs[0].Variables["group_confirm_timeout"]);
    }

    [Fact]
    public async Task A_ring_group_toggle_is_not_found_so_the_outbound_socket_runs_it()
    {
        await using var daemon = await RunningDaemon.StartAsync();

        await using var call = await daemon.DialplanCallAsync("*60", "1001");
        await call.Done.WaitAsync(Timeout);

        Assert.True(call.RanStaticDialplan);
        Assert.True(call.Fetches.Single().Read!.NotFound);
        Assert.Empty(call.Executions);
        Assert.Contains("eslcallflow_dialplan_fetches_total{result=\"socket\"} 1", await daemon.MetricsAsync());
        // Nothing changed on the way: the socket runner's toggle is the one that logs the member out.
        Assert.DoesNotContain("ring_group_toggle", await daemon.MetricsAsync());
    }

    [Fact]
    public void What_the_fast_path_leaves_to_the_socket_is_known_per_callflow_jumps_included()
    {
        var config = ConfigurationLoader.LoadFolder(RunningDaemon.ConfigWith(("jump.json", """
            { "id": "jumps-to-pickup", "numbers": ["7150"], "flow": { "module": "callflow", "data": { "id": "sales-pickup" } } }
            """))).Configuration!;
        CallflowNeeds Of(string number) => CallflowNeeds.Of(config, config.MatchCallflow(number)!.Callflow);

        Assert.Null(Of("7000").SocketOnly(cluster: true));
        Assert.Single(Of("7000").Remembering);
        Assert.Equal("it has a ring_group_toggle", Of("*60").SocketOnly(cluster: false));
        Assert.Null(Of("8000").SocketOnly(cluster: false));
        Assert.Equal("a pickup with several switches", Of("8000").SocketOnly(cluster: true));
        Assert.Equal("a pickup with several switches", Of("7150").SocketOnly(cluster: true));
        Assert.Same(Of("7000"), Of("7000"));
    }
}
