using EslCallflow.Testing;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Routing;

namespace EslCallflow.Callflows.Tests;

public class RingGroupPlanningTests
{
    private static CallPlan PlanFrom(string data, string? callerDeviceId = null, int seed = 1, string? devices = null, string? users = null)
    {
        var config = Fixtures.Config(Fixtures.RingGroup(data), devices, users, devices is null ? null : "[]");
        return CallPlanner.Plan(config, "7000", callerDeviceId is null ? null : config.Devices[callerDeviceId], seed);
    }

    [Fact]
    public void Simultaneous_is_the_default_and_gives_the_exact_bridge_string_and_caller_commands()
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" }, { "id": "d1006", "endpoint_type": "device", "delay": 3, "timeout": 30 } ] }""");

        Assert.Equal("ring_group", plan.Module);
        Assert.Equal(
            "{call_timeout=21,originate_timeout=21,ignore_early_media=true,local_var_clobber=true,outbound_redirect_fatal=true}" +
            "[^^!leg_timeout=20!eslcallflow_device_id=d1005]user/1005@pbx.example.com," +
            "[^^!leg_timeout=30!leg_delay_start=3!eslcallflow_device_id=d1006]user/1006@pbx.example.com",
            plan.RingGroup!.DialString);
        Assert.Equal(["multiset continue_on_fail=true hangup_after_bridge=true", "ring_ready", "bridge " + plan.RingGroup.DialString],
            plan.RingGroup.Commands.Select(c => c.ToString()));
    }

    [Fact]
    public void A_caller_whose_dialplan_set_the_bridge_settings_gets_no_multiset()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""));
        var data = (RingGroupData)config.FindCallflow("7000")!.Flow.Parsed!;

        var preset = RingGroupPlanner.Plan(config, data, CallerContext.External with { BridgeSettingsSet = true }, new Random(1));
        var plain = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1));

        Assert.Equal(["ring_ready", "bridge " + preset.DialString], preset.Commands.Select(c => c.ToString()));
        Assert.Equal(["multiset " + RingGroupPlanner.BridgeSettings, "ring_ready", "bridge " + plain.DialString], plain.Commands.Select(c => c.ToString()));
    }

    [Fact]
    public void Single_joins_legs_with_pipes_in_member_order_and_caps_each_leg_at_the_group_timeout()
    {
        var plan = PlanFrom("""{ "strategy": "single", "timeout": 25, "endpoints": [ { "id": "d1006", "endpoint_type": "device", "timeout": 40 }, { "id": "d1005", "endpoint_type": "device", "timeout": 10 } ] }""");

        var parsed = FreeSwitchDialString.Parse(plan.RingGroup!.DialString!);
        Assert.Equal('|', parsed.Separator);
        Assert.Equal(["user/1006@pbx.example.com", "user/1005@pbx.example.com"], parsed.Legs.Select(l => l.Endpoint));
        Assert.Equal(["25", "10"], parsed.Legs.Select(l => l.Variables["leg_timeout"]));
        Assert.Equal("26", parsed.Globals["call_timeout"]);
        Assert.DoesNotContain(plan.RingGroup.Commands, c => c.Application == "ring_ready");
    }

    [Fact]
    public void Users_expand_to_their_devices_and_groups_to_their_endpoints_with_group_overrides()
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "alice", "endpoint_type": "user", "delay": 1 }, { "id": "sales", "endpoint_type": "group", "delay": 2, "timeout": 25 } ] }""");

        var legs = plan.RingGroup!.Legs.Select(l => (l.Device.Id, l.Delay, l.Timeout)).ToList();
        Assert.Equal([("d1001", 1, 20), ("d1002", 1, 20), ("d1003", 2, 25), ("d1004", 5, 15)], legs);
    }

    [Fact]
    public void A_device_reached_twice_rings_once_simultaneous_keeping_the_smallest_delay()
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "d1004", "endpoint_type": "device", "delay": 9 }, { "id": "carol", "endpoint_type": "user", "delay": 4 } ] }""");

        var leg = Assert.Single(plan.RingGroup!.Legs);
        Assert.Equal(("d1004", 4), (leg.Device.Id, leg.Delay));
    }

    [Fact]
    public void A_device_reached_twice_rings_once_single_keeping_the_first()
    {
        var plan = PlanFrom("""{ "strategy": "single", "endpoints": [ { "id": "d1004", "endpoint_type": "device", "delay": 9 }, { "id": "carol", "endpoint_type": "user", "delay": 4 } ] }""");

        Assert.Equal(9, Assert.Single(plan.RingGroup!.Legs).Delay);
    }

    [Fact]
    public void The_caller_and_the_callers_own_other_devices_never_ring()
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "alice", "endpoint_type": "user" }, { "id": "d1005", "endpoint_type": "device" } ] }""", callerDeviceId: "d1001");

        Assert.Equal(["d1005"], plan.RingGroup!.Legs.Select(l => l.Device.Id));
        Assert.Contains(new Exclusion("d1001", "is the calling device"), plan.RingGroup.Excluded);
        Assert.Contains(new Exclusion("d1002", "belongs to the caller's user 'alice'"), plan.RingGroup.Excluded);
    }

    [Theory]
    [InlineData("""{ "id": "d1005", "enabled": false, "sip": { "username": "1005", "realm": "r" } }""", null, "device is disabled")]
    [InlineData("""{ "id": "d1005", "do_not_disturb": { "enabled": true }, "sip": { "username": "1005", "realm": "r" } }""", null, "device has do-not-disturb on")]
    [InlineData("""{ "id": "d1005", "owner_id": "dave", "sip": { "username": "1005", "realm": "r" } }""", """{ "id": "dave", "enabled": false }""", "owner 'dave' is disabled")]
    [InlineData("""{ "id": "d1005", "owner_id": "dave", "sip": { "username": "1005", "realm": "r" } }""", """{ "id": "dave", "do_not_disturb": { "enabled": true } }""", "owner 'dave' has do-not-disturb on")]
    public void Disabled_and_do_not_disturb_devices_and_users_are_left_out_with_the_reason(string device, string? user, string reason)
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", devices: $"[{device}]", users: user ?? "[]");

        Assert.False(plan.RingGroup!.HasLegs);
        Assert.Null(plan.RingGroup.DialString);
        Assert.Empty(plan.RingGroup.Commands);
        Assert.Equal(new Exclusion("d1005", reason), Assert.Single(plan.RingGroup.Excluded));
    }

    [Fact]
    public void Ringtone_matching_the_call_goes_out_as_alert_info_overriding_the_devices_own()
    {
        const string data = """{ "ringtones": { "internal": "<http://pbx/ring-int.wav>;info=internal", "external": "Ring2" }, "endpoints": [ { "id": "d1003", "endpoint_type": "device" } ] }""";

        var internalCall = FreeSwitchDialString.Parse(PlanFrom(data, callerDeviceId: "d1005").RingGroup!.DialString!);
        var externalCall = FreeSwitchDialString.Parse(PlanFrom(data).RingGroup!.DialString!);

        Assert.Equal("<http://pbx/ring-int.wav>;info=internal", internalCall.Legs[0].Variables["sip_h_Alert-Info"]);
        Assert.Equal("<http://127.0.0.1>;info=Ring2", externalCall.Legs[0].Variables["sip_h_Alert-Info"]);
    }

    [Fact]
    public void Without_group_ringtones_the_devices_own_ringtone_is_used()
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "d1003", "endpoint_type": "device" } ] }""");

        Assert.Equal("<http://127.0.0.1>;info=bob-external", FreeSwitchDialString.Parse(plan.RingGroup!.DialString!).Legs[0].Variables["sip_h_Alert-Info"]);
    }

    [Fact]
    public void Ringback_is_set_on_the_caller_leg_before_the_bridge()
    {
        var plan = PlanFrom("""{ "ringback": "%(2000,4000,440,480)", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""");

        Assert.Equal(["set ringback=%(2000,4000,440,480)", "set transfer_ringback=%(2000,4000,440,480)", "multiset continue_on_fail=true hangup_after_bridge=true", "ring_ready"],
            plan.RingGroup!.Commands.SkipLast(1).Select(c => c.ToString()));
    }

    [Fact]
    public void Fail_on_single_reject_and_following_forwards_show_in_the_global_block()
    {
        var plan = PlanFrom("""{ "fail_on_single_reject": true, "ignore_forward": false, "timeout": 45, "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""");

        var globals = FreeSwitchDialString.Parse(plan.RingGroup!.DialString!).Globals;
        Assert.Equal("true", globals["fail_on_single_reject"]);
        Assert.Equal("false", globals["outbound_redirect_fatal"]);
        Assert.Equal("46", globals["originate_timeout"]);
        Assert.Equal("true", globals["local_var_clobber"]);
    }

    [Fact]
    public void Internal_calls_carry_the_callers_caller_id_on_every_leg()
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" }, { "id": "d1006", "endpoint_type": "device" } ] }""", callerDeviceId: "d1001");

        Assert.All(FreeSwitchDialString.Parse(plan.RingGroup!.DialString!).Legs, leg =>
        {
            Assert.Equal("Alice Smith", leg.Variables["origination_caller_id_name"]);
            Assert.Equal("1001", leg.Variables["origination_caller_id_number"]);
        });
    }

    [Fact]
    public void A_device_with_its_own_dial_string_is_dialled_with_it()
    {
        var plan = PlanFrom("""{ "endpoints": [ { "id": "gw", "endpoint_type": "device" } ] }""",
            devices: """[{ "id": "gw", "dial_string": "sofia/gateway/carrier/15551234567", "sip": { "username": "gw", "realm": "r" } }]""", users: "[]");

        Assert.Equal("sofia/gateway/carrier/15551234567", FreeSwitchDialString.Parse(plan.RingGroup!.DialString!).Legs[0].Endpoint);
    }

    [Fact]
    public void Weighted_random_is_deterministic_for_a_seed_and_uses_pipes()
    {
        const string data = """{ "strategy": "weighted_random", "endpoints": [ { "id": "d1005", "endpoint_type": "device", "weight": 10 }, { "id": "d1006", "endpoint_type": "device", "weight": 90 }, { "id": "d1003", "endpoint_type": "device", "weight": 50 } ] }""";

        var first = PlanFrom(data, seed: 42).RingGroup!.DialString;
        Assert.Equal(first, PlanFrom(data, seed: 42).RingGroup!.DialString);
        Assert.Equal('|', FreeSwitchDialString.Parse(first!).Separator);
        var orders = Enumerable.Range(0, 50).Select(s => PlanFrom(data, seed: s).RingGroup!.DialString).Distinct().Count();
        Assert.True(orders > 1, "different seeds should give different orders");
    }

    [Fact]
    public void Skip_module_plans_no_ring_attempt()
    {
        var plan = PlanFrom("""{ "skip_module": true, "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""");

        Assert.Null(plan.RingGroup);
    }
}
