using System.Globalization;
using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Testing;

namespace EslCallflow.Callflows.Tests;

/// <summary>Issue 32 part 3: one bridge rings at most 128 legs (switch_ivr_originate.c MAX_PEERS); bigger groups are refused at load.</summary>
public class LegLimitTests
{
    /// <summary>Devices d1 to d<paramref name="count"/> (SIP users 2001...), the first <paramref name="disabled"/> of them disabled, owned by user u.</summary>
    private static string Devices(int count, int disabled = 0) => JsonSerializer.Serialize(Enumerable.Range(1, count).Select(i => new Dictionary<string, object>
    {
        ["id"] = $"d{i}",
        ["owner_id"] = "u",
        ["enabled"] = i > disabled,
        ["sip"] = new Dictionary<string, string> { ["username"] = (2000 + i).ToString(CultureInfo.InvariantCulture), ["realm"] = "r" },
    }));

    private static string DeviceMembers(int count) =>
        "[" + string.Join(",", Enumerable.Range(1, count).Select(i => $$"""{ "id": "d{{i}}", "endpoint_type": "device" }""")) + "]";

    private static LoadResult Load(string callflows, int devices, int disabled = 0, string? groups = null) =>
        Fixtures.Load(callflows, Devices(devices, disabled), """[{ "id": "u" }]""", groups ?? """{ "id": "g", "endpoints": {} }""");

    [Theory]
    [InlineData("simultaneous")]
    [InlineData("single")]
    [InlineData("weighted_random")]
    public void A_ring_group_of_129_devices_is_refused_naming_the_callflow_the_field_and_the_count(string strategy)
    {
        var result = Load(Fixtures.RingGroup($$"""{ "strategy": "{{strategy}}", "endpoints": {{DeviceMembers(129)}} }"""), 129);

        Assert.Null(result.Configuration);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("callflows/main.json", "rg", "$.flow.data.endpoints"), (error.File, error.DocumentId, error.Path));
        Assert.StartsWith("rings 129 devices, more than the 128 FreeSWITCH takes from one bridge", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ring_group_of_128_devices_loads_and_its_dial_string_gives_FreeSWITCH_all_128_legs()
    {
        var config = Fixtures.Config(Fixtures.RingGroup($$"""{ "endpoints": {{DeviceMembers(128)}} }"""), Devices(128), """[{ "id": "u" }]""", """{ "id": "g", "endpoints": {} }""");

        var plan = RingGroupPlanner.Plan(config, (RingGroupData)config.Callflows["rg"].Flow.Parsed!, CallerContext.External, new Random(1));
        var parsed = FreeSwitchDialString.Parse(plan.DialString!);

        Assert.Equal(128, parsed.Legs.Count);
        Assert.Equal("user/2128@r", parsed.Legs[^1].Endpoint);
        Assert.Empty(plan.BeyondLegLimit);
    }

    [Fact]
    public void Devices_that_can_never_ring_do_not_count()
    {
        var result = Load(Fixtures.RingGroup($$"""{ "endpoints": {{DeviceMembers(130)}} }"""), 130, disabled: 2);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Devices_reached_through_groups_and_users_count_once_each()
    {
        var groups = """{ "id": "all", "endpoints": { "u": { "type": "user" } } }""";
        var viaGroup = Load(Fixtures.RingGroup("""{ "endpoints": [ { "id": "all", "endpoint_type": "group" }, { "id": "d1", "endpoint_type": "device" } ] }"""), 130, groups: groups);
        var userNode = Load("""{ "id": "u-node", "numbers": ["7001"], "flow": { "module": "user", "data": { "id": "u" } } }""", 129);
        var sameDevices = Load(Fixtures.RingGroup("""{ "endpoints": [ { "id": "all", "endpoint_type": "group" }, { "id": "u", "endpoint_type": "user" } ] }"""), 128, groups: groups);

        Assert.Equal(("rg", "$.flow.data.endpoints"), (viaGroup.Errors.Single().DocumentId, viaGroup.Errors.Single().Path));
        Assert.StartsWith("rings 130 devices", viaGroup.Errors.Single().Reason, StringComparison.Ordinal);
        Assert.Equal(("u-node", "$.flow.data.id"), (userNode.Errors.Single().DocumentId, userNode.Errors.Single().Path));
        Assert.True(sameDevices.IsValid, string.Join("\n", sameDevices.Errors));
    }

    [Fact]
    public void A_child_ring_group_is_checked_and_a_skipped_one_is_not()
    {
        var child = Load($$"""
            { "id": "rg", "numbers": ["7000"], "flow": { "module": "ring_group", "data": { "endpoints": [ { "id": "d1", "endpoint_type": "device" } ] },
              "children": { "_": { "module": "ring_group", "data": { "endpoints": {{DeviceMembers(129)}} } } } } }
            """, 129);
        var skipped = Load(Fixtures.RingGroup($$"""{ "skip_module": true, "endpoints": {{DeviceMembers(129)}} }"""), 129);

        Assert.Equal("$.flow.children._.data.endpoints", child.Errors.Single().Path);
        Assert.True(skipped.IsValid, string.Join("\n", skipped.Errors));
    }

    [Fact]
    public void A_configuration_that_skipped_the_load_check_rings_the_first_128_and_names_the_rest()
    {
        // Built directly, as nothing in the daemon does: the loader would have refused it.
        var devices = Enumerable.Range(1, 130).Select(i => new Device($"d{i}", null, null, true, $"{2000 + i}", "r", false, null, null, null, null, null));
        var members = Enumerable.Range(1, 130).Select(i => new RingGroupEndpoint($"d{i}", EndpointType.Device, 0, 20, 20)).ToList();
        var config = new PbxConfiguration(devices, [], [], []);
        var data = new RingGroupData(members, RingStrategy.Simultaneous, 20, 1, null, null, null, false, true, false);

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1));
        var parsed = FreeSwitchDialString.Parse(plan.DialString!);

        Assert.Equal(128, plan.Legs.Count);
        Assert.Equal(["d129", "d130"], plan.BeyondLegLimit.Select(e => e.DeviceId));
        Assert.All(plan.BeyondLegLimit, e => Assert.Equal("beyond the 128 legs FreeSWITCH rings from one bridge", e.Reason));
        Assert.Equal(["d129", "d130"], plan.Excluded.Select(e => e.DeviceId));
        Assert.Equal(128, parsed.Legs.Count);
        Assert.Equal("user/2128@r", parsed.Legs[^1].Endpoint);
    }
}
