using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Routing;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Testing;
using EslCallflow.Testing.FreeSwitchModel;

namespace EslCallflow.Callflows.Tests;

/// <summary>Issue 31 in the planner: skip_busy, logged-out members, round_robin and least_recent, ring_group_toggle data.</summary>
public class RingGroupFeatureTests
{
    private const string FourDevices = """[ { "id": "d1005", "endpoint_type": "device" }, { "id": "d1006", "endpoint_type": "device" }, { "id": "alice", "endpoint_type": "user" }, { "id": "d1003", "endpoint_type": "device" } ]""";

    private static (PbxConfiguration Config, RingGroupData Data) Group(string fields)
    {
        var config = Fixtures.Config(Fixtures.RingGroup($$"""{ {{fields}} "endpoints": {{FourDevices}} }"""));
        return (config, (RingGroupData)config.FindCallflow("7000")!.Flow.Parsed!);
    }

    private static RingGroupFacts Facts(IEnumerable<string>? busy = null, IEnumerable<string>? loggedOut = null, string? lastStarted = null, Dictionary<string, long>? answered = null) =>
        new(busy?.ToHashSet() ?? [], loggedOut?.ToHashSet() ?? [], lastStarted, answered ?? []);

    private static string[] Rung(RingGroupAttempt attempt) => [.. FreeSwitchDialString.Parse(attempt.DialString!).Legs.Select(l => l.Variables[DialString.DeviceVariable])];

    [Fact]
    public void Skip_busy_leaves_out_devices_on_a_call_by_id_or_sip_identity_with_reason_busy()
    {
        var (config, data) = Group("\"skip_busy\": true,");
        var busy = new[] { DeviceKey.ForId("d1005"), DeviceKey.ForSip("1002", "PBX.example.com") };

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1), Facts(busy));

        Assert.Equal(["d1006", "d1001", "d1003"], Rung(plan));
        Assert.Equal([new Exclusion("d1005", "busy"), new Exclusion("d1002", "busy")], plan.Excluded);
    }

    [Fact]
    public void Without_skip_busy_busy_devices_ring()
    {
        var (config, data) = Group("");

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1), Facts([DeviceKey.ForId("d1005")]));

        Assert.Equal(["d1005", "d1006", "d1001", "d1002", "d1003"], Rung(plan));
        Assert.Empty(plan.Excluded);
    }

    [Fact]
    public void Everyone_busy_rings_nobody_and_names_USER_BUSY()
    {
        var (config, data) = Group("\"skip_busy\": true,");
        var everyone = config.Devices.Values.SelectMany(DeviceKey.Of);

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1), Facts(everyone));

        Assert.False(plan.HasLegs);
        Assert.Empty(plan.Commands);
        Assert.Equal("USER_BUSY", plan.NobodyCause);
        Assert.All(plan.Excluded, e => Assert.Equal("busy", e.Reason));
    }

    [Fact]
    public void A_logged_out_user_leaves_with_all_its_devices_and_a_logged_out_device_alone()
    {
        var (config, data) = Group("");

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1), Facts(loggedOut: ["user:alice", "device:d1006"]));

        Assert.Equal(["d1005", "d1003"], Rung(plan));
        Assert.Equal([new Exclusion("d1006", "logged_out"), new Exclusion("d1001", "logged_out"), new Exclusion("d1002", "logged_out")], plan.Excluded);
        Assert.Equal("NO_USER_RESPONSE", RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1),
            Facts(loggedOut: ["user:alice", "device:d1006", "device:d1005", "user:bob"])).NobodyCause);
    }

    [Theory]
    [InlineData(null, "d1005,d1006,d1001,d1002,d1003")]
    [InlineData("d1005", "d1006,d1001,d1002,d1003,d1005")]
    [InlineData("d1003", "d1005,d1006,d1001,d1002,d1003")]
    [InlineData("gone", "d1005,d1006,d1001,d1002,d1003")]
    public void Round_robin_starts_after_the_device_that_started_the_last_call_one_at_a_time(string? lastStarted, string order)
    {
        var (config, data) = Group("\"strategy\": \"round_robin\",");

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1), Facts(lastStarted: lastStarted));

        Assert.Equal(order.Split(','), Rung(plan));
        Assert.Contains('|', plan.DialString!);
        Assert.DoesNotContain(plan.Commands, c => c.Application == "ring_ready");
    }

    [Fact]
    public void Round_robin_keeps_a_busy_device_s_place_in_the_rotation()
    {
        var (config, data) = Group("\"strategy\": \"round_robin\", \"skip_busy\": true,");

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1), Facts([DeviceKey.ForId("d1006")], lastStarted: "d1005"));

        Assert.Equal(["d1001", "d1002", "d1003", "d1005"], Rung(plan));
    }

    [Fact]
    public void Least_recent_rings_never_answered_devices_first_then_the_longest_ago()
    {
        var (config, data) = Group("\"strategy\": \"least_recent\",");

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1),
            Facts(answered: new() { ["d1005"] = 3000, ["d1001"] = 1000, ["d1003"] = 2000 }));

        Assert.Equal(["d1006", "d1002", "d1001", "d1003", "d1005"], Rung(plan));
    }

    [Fact]
    public void Ring_group_state_is_keyed_by_callflow_and_node_path()
    {
        var (_, data) = Group("");

        Assert.Equal("rg:$.flow", data.StateKey);
        Assert.Equal("rg", data.CallflowId);
        Assert.Equal("simultaneous", data.StrategyName);
    }

    [Fact]
    public void The_plan_cli_facts_reach_the_call_plan()
    {
        var (config, _) = Group("\"skip_busy\": true,");

        var plan = CallPlanner.Plan(config, "7000", null, 1, Facts([DeviceKey.ForId("d1003")], ["device:d1005"]));

        Assert.Equal([new Exclusion("d1005", "logged_out"), new Exclusion("d1003", "busy")], plan.RingGroup!.Excluded);
    }

    private const string Toggle = """{ "id": "tg", "numbers": ["*60"], "flow": { "module": "ring_group_toggle", "data": { "action": "toggle", "callflow_id": "rg" } } }""";

    [Fact]
    public void Ring_group_toggle_knows_its_members_and_the_action_s_result()
    {
        var config = Fixtures.Config($"[{Fixtures.RingGroup($$"""{ "endpoints": {{FourDevices}} }""")}, {Toggle}]");
        var toggle = (RingGroupToggleData)config.FindCallflow("*60")!.Flow.Parsed!;
        var group = config.Callflows["rg"];

        Assert.True(RingGroupToggleData.IsMember(config, group, config.Devices["d1002"]));
        Assert.False(RingGroupToggleData.IsMember(config, group, config.Devices["d1004"]));
        Assert.Equal("user:alice", RingGroupFacts.MemberKey(config.Devices["d1002"]));
        Assert.Equal("device:d1005", RingGroupFacts.MemberKey(config.Devices["d1005"]));
        Assert.True(toggle.LogsOut(loggedOutNow: false));
        Assert.False(toggle.LogsOut(loggedOutNow: true));
        Assert.True((toggle with { Action = ToggleAction.Logout }).LogsOut(true));
        Assert.False((toggle with { Action = ToggleAction.Login }).LogsOut(false));
    }

    [Theory]
    [InlineData("""{ "action": "flip", "callflow_id": "rg" }""", "$.flow.data.action", "'flip' is not one of 'login', 'logout', 'toggle'")]
    [InlineData("""{ "action": "login" }""", "$.flow.data.callflow_id", "is required")]
    [InlineData("""{ "action": "login", "callflow_id": "nope" }""", "$.flow.data.callflow_id", "callflow 'nope' does not exist")]
    [InlineData("""{ "action": "login", "callflow_id": "tg" }""", "$.flow.data.callflow_id", "callflow 'tg' has no ring_group")]
    [InlineData("""{ "action": "login", "callflow_id": "rg", "media": { "logged_in": "beep" } }""", "$.flow.data.media.logged_in", "must be a TGML tone")]
    public void Bad_ring_group_toggle_data_is_refused_with_document_and_path(string data, string path, string reason)
    {
        var result = Fixtures.Load($$"""[{{Fixtures.RingGroup($$"""{ "endpoints": {{FourDevices}} }""")}}, { "id": "tg", "numbers": ["*60"], "flow": { "module": "ring_group_toggle", "data": {{data}} } }]""");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("tg", path), (error.DocumentId, error.Path));
        Assert.Contains(reason, error.Reason);
    }
}

/// <summary>Issue 31, confirm before connect: what the leg's [...] block carries, as FreeSWITCH reads it.</summary>
public class ConfirmTests
{
    [Fact]
    public void A_confirm_member_s_legs_carry_the_group_confirm_variables_and_the_others_none()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""
            { "endpoints": [
                { "id": "alice", "endpoint_type": "user", "confirm": true, "confirm_prompt": "/sounds/press-1,please!.wav", "confirm_key": "#5", "confirm_timeout": 12 },
                { "id": "d1005", "endpoint_type": "device", "confirm": true },
                { "id": "d1006", "endpoint_type": "device" } ] }
            """));

        var plan = CallPlanner.Plan(config, "7000", null, 1).RingGroup!;
        var legs = FreeSwitchDialString.Parse(plan.DialString!).Legs;

        foreach (var alice in legs.Take(2))
        {
            Assert.Equal("#5", alice.ChannelVariables["group_confirm_key"]);
            Assert.Equal("/sounds/press-1,please!.wav", alice.ChannelVariables["group_confirm_file"]);
            Assert.Equal("12", alice.ChannelVariables["group_confirm_timeout"]);
            Assert.Equal("true", alice.ChannelVariables["rtp_liberal_dtmf"]);
        }
        Assert.Equal(("1", "10"), (legs[2].ChannelVariables["group_confirm_key"], legs[2].ChannelVariables["group_confirm_timeout"]));
        Assert.False(legs[2].ChannelVariables.ContainsKey("group_confirm_file"));
        Assert.DoesNotContain(legs[3].ChannelVariables.Keys, k => k.StartsWith("group_confirm", StringComparison.Ordinal) || k == "rtp_liberal_dtmf");
    }

    [Fact]
    public void Confirm_is_inherited_through_a_nested_group()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "sales", "endpoint_type": "group", "confirm": true, "confirm_timeout": 7 } ] }"""));

        var legs = FreeSwitchDialString.Parse(CallPlanner.Plan(config, "7000", null, 1).RingGroup!.DialString!).Legs;

        Assert.All(legs, l => Assert.Equal("7", l.ChannelVariables["group_confirm_timeout"]));
    }

    [Theory]
    [InlineData("""{ "id": "d1005", "endpoint_type": "device", "confirm": true, "confirm_key": "x" }""", "$.flow.data.endpoints[0].confirm_key", "must be 1 to 9 of the keys 0-9, * and #")]
    [InlineData("""{ "id": "d1005", "endpoint_type": "device", "confirm": true, "confirm_key": "1234567890" }""", "$.flow.data.endpoints[0].confirm_key", "must be 1 to 9 of the keys")]
    [InlineData("""{ "id": "d1005", "endpoint_type": "device", "confirm": true, "confirm_timeout": 0 }""", "$.flow.data.endpoints[0].confirm_timeout", "0 is out of range 1..300")]
    [InlineData("""{ "id": "d1005", "endpoint_type": "device", "confirm": true, "confirm_prompt": "press1" }""", "$.flow.data.endpoints[0].confirm_prompt", "must be a TGML tone")]
    [InlineData("""{ "id": "d1005", "endpoint_type": "device", "confirm": "yes" }""", "$.flow.data.endpoints[0].confirm", "must be true or false")]
    [InlineData("""{ "id": "d1005", "endpoint_type": "device", "confirm_key": "2" }""", "$.flow.data.endpoints[0].confirm_key", "needs \"confirm\": true")]
    public void Bad_confirm_values_are_refused_with_document_and_path(string endpoint, string path, string reason)
    {
        var result = Fixtures.Load(Fixtures.RingGroup($$"""{ "endpoints": [ {{endpoint}} ] }"""));

        var error = Assert.Single(result.Errors);
        Assert.Equal(("rg", path), (error.DocumentId, error.Path));
        Assert.Contains(reason, error.Reason);
    }
}

/// <summary>Issue 31, caller_id_name_prefix: what the members' phones show, through the same escaping as every caller id name.</summary>
public class CallerIdNamePrefixTests
{
    private const string Prefix = "O'Brien, Jr! Zoë/Sales: ";

    private static IReadOnlyList<ParsedLeg> Legs(CallerContext caller, string? prefix = Prefix)
    {
        var field = prefix is null ? "" : $"\"caller_id_name_prefix\": {System.Text.Json.JsonSerializer.Serialize(prefix)},";
        var config = Fixtures.Config(Fixtures.RingGroup($$"""{ {{field}} "endpoints": [ { "id": "d1005", "endpoint_type": "device" }, { "id": "d1006", "endpoint_type": "device" } ] }"""));
        var data = (RingGroupData)config.FindCallflow("7000")!.Flow.Parsed!;
        var resolvedCaller = caller.Device is { } d ? caller with { Device = config.Devices[d.Id] } : caller;
        return FreeSwitchDialString.Parse(RingGroupPlanner.Plan(config, data, resolvedCaller, new Random(1)).DialString!).Legs;
    }

    private static Device Alice(PbxConfiguration config) => config.Devices["d1001"];

    [Fact]
    public void Members_see_the_prefix_before_the_internal_caller_s_name_exactly()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""));

        var legs = Legs(new CallerContext(Alice(config)));

        Assert.All(legs, leg =>
        {
            Assert.Equal(Prefix + "Alice Smith", SofiaCallerId.OnPhone(leg));
            Assert.Equal(SipDisplayName.Encode(Prefix + "Alice Smith"), SofiaCallerId.ProfileName(leg));
            Assert.Empty(leg.RefusedVariables);
        });
        Assert.True(legs[0].Variables.ContainsKey(LegCallerIdName.RestoreVariable));
    }

    [Theory]
    [InlineData("Bob Caller", "1555", "Bob Caller")]
    [InlineData(null, "1555", "1555")]
    [InlineData("Evil ${x}", "1555", "1555")]
    [InlineData(null, null, "")]
    public void An_external_caller_s_own_name_or_number_follows_the_prefix(string? name, string? number, string shown)
    {
        var legs = Legs(CallerContext.External with { CallerIdName = name, CallerIdNumber = number });

        Assert.All(legs, leg => Assert.Equal(Prefix + shown, SofiaCallerId.OnPhone(leg)));
    }

    [Fact]
    public void Without_a_prefix_an_external_caller_s_name_is_left_to_FreeSWITCH()
    {
        var legs = Legs(CallerContext.External with { CallerIdName = "Bob" }, prefix: null);

        Assert.All(legs, leg => Assert.False(leg.Variables.ContainsKey("origination_caller_id_name")));
    }
}
