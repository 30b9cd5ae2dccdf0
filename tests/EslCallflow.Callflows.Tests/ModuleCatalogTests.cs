using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.Routing;

namespace EslCallflow.Callflows.Tests;

/// <summary>The modules are found from their data types alone, and what a module rings is read from its data.</summary>
public class ModuleCatalogTests
{
    [Fact]
    public void Every_module_data_type_is_known_by_its_names()
    {
        Assert.Equal(
            ["callflow", "device", "group_pickup", "group_pickup_feature", "play", "response", "ring_group", "ring_group_toggle", "transfer", "user"],
            ModuleCatalog.Names);
        Assert.Equal(typeof(RingTargetData), ModuleCatalog.DataTypeOf("device"));
        Assert.Equal(typeof(RingTargetData), ModuleCatalog.DataTypeOf("user"));
        Assert.Equal(typeof(RingGroupData), ModuleCatalog.DataTypeOf("ring_group"));
        Assert.Equal(typeof(RingGroupToggleData), ModuleCatalog.DataTypeOf("ring_group_toggle"));
        Assert.Null(ModuleCatalog.DataTypeOf("voicemail"));
    }

    [Fact]
    public void An_unknown_module_is_refused_with_the_known_names()
    {
        var result = Fixtures.Load("""{ "id": "x", "numbers": ["1"], "flow": { "module": "voicemail", "data": {} } }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.flow.module", error.Path);
        Assert.Contains("known: " + string.Join(", ", ModuleCatalog.Names), error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_rings_as_a_ring_group_of_that_one_device()
    {
        var config = Fixtures.Config("""{ "id": "d", "numbers": ["1003"], "flow": { "module": "device", "data": { "id": "d1003", "timeout": 12 } } }""");

        var data = (RingTargetData)config.Callflows["d"].Flow.Parsed!;

        Assert.Equal([new RingGroupEndpoint("d1003", EndpointType.Device, 0, 12, RingGroupData.DefaultWeight)], data.Rings.Endpoints);
        Assert.Equal((RingStrategy.Simultaneous, 1, 12), (data.Rings.Strategy, data.Rings.Repeats, data.Rings.Timeout));
    }

    [Fact]
    public void Plan_shows_the_bridge_of_a_user_module_as_of_a_ring_group()
    {
        var config = Fixtures.Config("""{ "id": "u", "numbers": ["2000"], "flow": { "module": "user", "data": { "id": "alice" } } }""");

        var plan = CallPlanner.Plan(config, "2000", null, seed: 1);

        Assert.Equal(["d1001", "d1002"], plan.RingGroup!.Legs.Select(l => l.Device.Id));
        Assert.StartsWith("bridge ", plan.RingGroup.Commands[^1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_directed_pickup_of_an_extension_takes_calls_ringing_where_its_callflow_rings_through_a_jump()
    {
        var config = Fixtures.Config("""
        [
          { "id": "ext", "numbers": ["3000"], "flow": { "module": "callflow", "data": { "id": "bob" } } },
          { "id": "bob", "numbers": ["3001"], "flow": { "module": "user", "data": { "id": "bob" } } }
        ]
        """);

        var target = DirectedPickup.Resolve(config, DirectedPickupType.Extension, "3000");

        Assert.Equal(["d1003"], target!.Devices.Select(d => d.Id));
    }
}
