using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Tests;

/// <summary>group_pickup rules 1 to 4 on the Fixtures office: alice (d1001, d1002), bob (d1003), carol (d1004), d1005, d1006; sales = d1003 + carol.</summary>
public class PickupPlannerTests
{
    private static readonly PbxConfiguration Config = Fixtures.Config("[]");

    private static GroupPickupData Pickup(string data) =>
        (GroupPickupData)Fixtures.Config($$"""{ "id": "pk", "numbers": ["8000"], "flow": { "module": "group_pickup", "data": {{data}} } }""").Callflows["pk"].Flow.Parsed!;

    private static RingingLeg Leg(string leg, string? caller, string? deviceId, string? sip, long since) => new(leg, caller, deviceId, sip, since);

    public static TheoryData<string, string?, bool> ApprovalMatrix => new()
    {
        { """{ "group_id": "sales", "approved_device_id": "d1003" }""", "d1003", true },
        { """{ "group_id": "sales", "approved_device_id": "d1003" }""", "d1004", false },
        { """{ "group_id": "sales", "approved_user_id": "alice" }""", "d1002", true },
        { """{ "group_id": "sales", "approved_user_id": "alice" }""", "d1003", false },
        { """{ "group_id": "sales", "approved_group_id": "sales" }""", "d1004", true },
        { """{ "group_id": "sales", "approved_group_id": "sales" }""", "d1005", false },
        { """{ "group_id": "sales", "approved_group_id": "sales" }""", null, false },
        { """{ "group_id": "sales" }""", "d1005", true },
        { """{ "group_id": "sales" }""", null, true },
        // Only the most restrictive approval that is set counts: device before user before group.
        { """{ "group_id": "sales", "approved_device_id": "d1005", "approved_group_id": "sales" }""", "d1003", false },
        { """{ "group_id": "sales", "approved_device_id": "d1005", "approved_group_id": "sales" }""", "d1005", true },
        { """{ "group_id": "sales", "approved_user_id": "bob", "approved_group_id": "sales" }""", "d1004", false },
    };

    [Theory]
    [MemberData(nameof(ApprovalMatrix))]
    public void Approval_follows_the_documented_precedence(string data, string? picker, bool approved)
    {
        var decision = PickupPlanner.Authorize(Config, Pickup(data), picker is null ? null : Config.Devices[picker]);

        Assert.Equal(approved, decision.Approved);
    }

    [Fact]
    public void A_refusal_says_who_and_why()
    {
        var decision = PickupPlanner.Authorize(Config, Pickup("""{ "group_id": "sales", "approved_group_id": "sales" }"""), Config.Devices["d1005"]);

        Assert.Equal("device d1005 is not within approved_group_id sales", decision.Reason);
    }

    [Fact]
    public void Scope_uses_the_most_restrictive_id_set()
    {
        var data = Pickup("""{ "device_id": "d1004", "user_id": "bob", "group_id": "sales" }""");
        var ringing = new[]
        {
            Leg("leg-bob", "caller-1", "d1003", null, 100),
            Leg("leg-carol", "caller-2", "d1004", null, 200),
        };

        var candidates = PickupPlanner.Candidates(Config, data.Scope, Config.Devices["d1005"], "picker", ringing);

        Assert.Equal(["leg-carol"], candidates.Select(c => c.LegUuid));
        Assert.Equal(PickupScopeKind.Device, data.Scope.Kind);
    }

    [Fact]
    public void The_longest_ringing_call_comes_first_and_each_call_once()
    {
        var ringing = new[]
        {
            Leg("leg-new", "caller-new", "d1003", null, 300),
            Leg("leg-old-carol", "caller-old", "d1004", null, 150),
            Leg("leg-old-bob", "caller-old", "d1003", null, 100),
            Leg("leg-mid", "caller-mid", "d1004", null, 200),
        };

        var candidates = PickupPlanner.Candidates(Config, new PickupScope(PickupScopeKind.Group, "sales"), Config.Devices["d1005"], "picker", ringing);

        Assert.Equal(["caller-old", "caller-mid", "caller-new"], candidates.Select(c => c.CallKey));
        Assert.Equal("leg-old-bob", candidates[0].LegUuid);
        Assert.Equal("caller-old", candidates[0].InterceptArgument);
    }

    [Fact]
    public void A_leg_without_our_device_variable_is_identified_by_its_sip_identity()
    {
        var ringing = new[] { Leg("leg-plain", "caller-1", null, "1004@PBX.example.com", 100) };

        var candidate = Assert.Single(PickupPlanner.Candidates(Config, new PickupScope(PickupScopeKind.Group, "sales"), null, "picker", ringing));

        Assert.Equal("d1004", candidate.DeviceId);
    }

    [Fact]
    public void Never_the_pickers_own_call_or_device_nor_devices_out_of_scope()
    {
        var ringing = new[]
        {
            Leg("leg-to-picker-device", "caller-1", "d1003", null, 100),
            Leg("leg-of-pickers-call", "picker", "d1004", null, 110),
            Leg("leg-out-of-scope", "caller-3", "d1001", null, 120),
            Leg("leg-unknown", "caller-4", null, "9999@pbx.example.com", 130),
        };

        Assert.Empty(PickupPlanner.Candidates(Config, new PickupScope(PickupScopeKind.Group, "sales"), Config.Devices["d1003"], "picker", ringing));
    }

    [Fact]
    public void A_leg_whose_uuid_could_carry_extra_arguments_is_never_offered()
    {
        var ringing = new[]
        {
            Leg("leg-1", "caller 1 -bleg x", "d1003", null, 100),
            Leg("leg\n2", "caller-2", "d1004", null, 200),
            Leg("leg-3", null, "d1004", null, 300),
        };

        var candidate = Assert.Single(PickupPlanner.Candidates(Config, new PickupScope(PickupScopeKind.Group, "sales"), null, "picker", ringing));

        Assert.Equal("-bleg leg-3", candidate.InterceptArgument);
    }

    [Fact]
    public void Nothing_ringing_gives_no_candidates()
    {
        Assert.Empty(PickupPlanner.Candidates(Config, new PickupScope(PickupScopeKind.User, "alice"), null, "picker", []));
    }

    [Fact]
    public void Scope_keys_cover_device_ids_and_sip_identities_of_nested_members()
    {
        var keys = PickupPlanner.ScopeKeys(Config, new PickupScope(PickupScopeKind.Group, "sales"));

        Assert.Equal(["id:d1003", "sip:1003@pbx.example.com", "id:d1004", "sip:1004@pbx.example.com"], keys);
    }
}
