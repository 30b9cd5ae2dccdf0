using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Tests;

/// <summary>group_pickup_feature targets on the Fixtures office: alice (d1001, d1002), bob (d1003), carol (d1004), d1005, d1006; sales = d1003 + carol.</summary>
public class DirectedPickupTests
{
    private const string Callflows = """
    [
      { "id": "feature", "patterns": ["^\\*7([0-9]+)$"], "flow": { "module": "group_pickup_feature", "data": { "type": "extension", "approved_group_id": "sales" } } },
      { "id": "sales-rg", "numbers": ["7000"], "flow": { "module": "ring_group", "data": { "endpoints": [ { "id": "sales", "endpoint_type": "group" }, { "id": "d1005", "endpoint_type": "device" } ] } } },
      { "id": "greeting-then-alice", "numbers": ["7100"], "flow": { "module": "play", "data": { "id": "silence_stream://100" },
          "children": { "_": { "module": "user", "data": { "id": "alice" } } } } },
      { "id": "jump-to-sales", "numbers": ["7200"], "flow": { "module": "callflow", "data": { "id": "sales-rg" } } },
      { "id": "bob-desk", "numbers": ["7300"], "flow": { "module": "device", "data": { "id": "d1003" } } },
      { "id": "rings-nobody", "numbers": ["7400"], "flow": { "module": "response", "data": { "code": 404 } } }
    ]
    """;

    private static readonly PbxConfiguration Config = Fixtures.Config(Callflows);

    private static IReadOnlyList<string>? Devices(DirectedPickupType type, string digits) =>
        DirectedPickup.Resolve(Config, type, digits)?.Devices.Select(d => d.Id).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void The_feature_pattern_captures_the_digits_after_the_code()
    {
        var match = Config.MatchCallflow("*77000");

        Assert.Equal("feature", match!.Callflow.Id);
        Assert.Equal(["7000"], match.Captures);
        Assert.Empty(Config.MatchCallflow("7000")!.Captures);
    }

    [Fact]
    public void An_extension_of_a_ring_group_is_every_device_its_members_resolve_to()
    {
        Assert.Equal(["d1003", "d1004", "d1005"], Devices(DirectedPickupType.Extension, "7000"));
    }

    [Fact]
    public void An_extension_is_walked_depth_first_past_modules_that_do_not_ring()
    {
        Assert.Equal(["d1001", "d1002"], Devices(DirectedPickupType.Extension, "7100"));
    }

    [Fact]
    public void An_extension_follows_a_callflow_jump_and_a_device_module()
    {
        Assert.Equal(["d1003", "d1004", "d1005"], Devices(DirectedPickupType.Extension, "7200"));
        Assert.Equal(["d1003"], Devices(DirectedPickupType.Extension, "7300"));
    }

    [Fact]
    public void An_extension_with_no_callflow_is_the_phone_with_that_sip_username()
    {
        Assert.Equal(["d1001"], Devices(DirectedPickupType.Extension, "1001"));
    }

    [Fact]
    public void An_extension_whose_flow_rings_nobody_or_that_nothing_answers_to_is_no_target()
    {
        Assert.Null(Devices(DirectedPickupType.Extension, "7400"));
        Assert.Null(Devices(DirectedPickupType.Extension, "9999"));
    }

    [Fact]
    public void Device_user_and_group_targets_start_from_the_sip_username()
    {
        Assert.Equal(["d1002"], Devices(DirectedPickupType.Device, "1002"));
        Assert.Equal(["d1001", "d1002"], Devices(DirectedPickupType.User, "1002"));
        Assert.Equal(["d1006"], Devices(DirectedPickupType.User, "1006"));
        Assert.Equal(["d1003", "d1004"], Devices(DirectedPickupType.Group, "1004"));
        Assert.Equal([], Devices(DirectedPickupType.Group, "1001"));
        Assert.Null(Devices(DirectedPickupType.Device, "7000"));
    }

    [Fact]
    public void The_module_reads_its_type_and_approval_like_group_pickup()
    {
        var data = (GroupPickupFeatureData)Config.Callflows["feature"].Flow.Parsed!;

        Assert.Equal(DirectedPickupType.Extension, data.Type);
        Assert.Equal(new PickupScope(PickupScopeKind.Group, "sales"), data.Approved);
        Assert.False(PickupPlanner.Authorize(Config, data.Approved, Config.Devices["d1001"]).Approved);
        Assert.True(PickupPlanner.Authorize(Config, data.Approved, Config.Devices["d1004"]).Approved);
    }

    [Fact]
    public void An_unknown_type_is_refused_at_load()
    {
        var result = Fixtures.Load("""{ "id": "f", "patterns": ["^\\*7([0-9]+)$"], "flow": { "module": "group_pickup_feature", "data": { "type": "room" } } }""");

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.ToString().Contains("$.flow.data.type", StringComparison.Ordinal));
    }
}
