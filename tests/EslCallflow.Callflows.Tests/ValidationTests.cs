namespace EslCallflow.Callflows.Tests;

public class ValidationTests
{
    public static TheoryData<string, string, string> BadRingGroups => new()
    {
        { """{ }""", "$.flow.data.endpoints", "is required" },
        { """{ "endpoints": [] }""", "$.flow.data.endpoints", "must list at least one endpoint" },
        { """{ "endpoints": {} }""", "$.flow.data.endpoints", "must be an array, not an object" },
        { """{ "endpoints": [ { "endpoint_type": "device" } ] }""", "$.flow.data.endpoints[0].id", "is required" },
        { """{ "endpoints": [ { "id": "", "endpoint_type": "device" } ] }""", "$.flow.data.endpoints[0].id", "'' must be 1 to 128 characters of letters, digits and _ . @ + - (starting with a letter or digit)" },
        { $$"""{ "endpoints": [ { "id": "{{new string('a', 129)}}", "endpoint_type": "device" } ] }""", "$.flow.data.endpoints[0].id", "must be 1 to 128 characters" },
        { """{ "endpoints": [ { "id": "d1005" } ] }""", "$.flow.data.endpoints[0].endpoint_type", "is required" },
        { """{ "endpoints": [ { "id": "d1005", "endpoint_type": "phone" } ] }""", "$.flow.data.endpoints[0].endpoint_type", "'phone' is not one of 'device', 'user', 'group'" },
        { """{ "endpoints": [ { "id": "d1005", "endpoint_type": "device", "weight": 0 } ] }""", "$.flow.data.endpoints[0].weight", "0 is out of range 1..100" },
        { """{ "endpoints": [ { "id": "d1005", "endpoint_type": "device", "weight": 101 } ] }""", "$.flow.data.endpoints[0].weight", "101 is out of range 1..100" },
        { """{ "endpoints": [ { "id": "d1005", "endpoint_type": "device", "delay": "5" } ] }""", "$.flow.data.endpoints[0].delay", "must be an integer, not a string" },
        { """{ "endpoints": [ { "id": "d1005", "endpoint_type": "device", "timeout": 2.5 } ] }""", "$.flow.data.endpoints[0].timeout", "must be an integer, not a number" },
        { """{ "repeats": 0, "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", "$.flow.data.repeats", "0 is out of range 1..100" },
        { """{ "strategy": "random", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", "$.flow.data.strategy", "'random' is not one of 'simultaneous', 'single', 'weighted_random', 'round_robin', 'least_recent'" },
        { """{ "skip_busy": "yes", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", "$.flow.data.skip_busy", "must be true or false, not a string" },
        { """{ "caller_id_name_prefix": "A${x}", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", "$.flow.data.caller_id_name_prefix", "must not contain '${'" },
        { """{ "caller_id_name_prefix": "A\nB", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", "$.flow.data.caller_id_name_prefix", "must not contain control characters" },
        { """{ "ringback": "beep", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", "$.flow.data.ringback", "'beep' must be a TGML tone like %(2000,4000,440,480), tone_stream://, silence_stream://, local_stream://, an absolute file path or an http(s) URL" },
        { """{ "ignore_forward": "yes", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }""", "$.flow.data.ignore_forward", "must be true or false, not a string" },
        { """{ "endpoints": [ { "id": "nobody", "endpoint_type": "user" } ] }""", "$.flow.data.endpoints[0].id", "user 'nobody' does not exist" },
    };

    [Theory]
    [MemberData(nameof(BadRingGroups))]
    public void Bad_ring_group_data_is_reported_with_file_document_path_and_reason(string data, string path, string reason)
    {
        var result = Fixtures.Load(Fixtures.RingGroup(data));

        Assert.Null(result.Configuration);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("callflows/main.json", "rg", path), (error.File, error.DocumentId, error.Path));
        Assert.Contains(reason, error.Reason);
    }

    [Theory]
    [InlineData("%(2000,4000,440,480)")]
    [InlineData("tone_stream://%(400,200,400,450);loops=-1")]
    [InlineData("silence_stream://-1")]
    [InlineData("local_stream://moh")]
    [InlineData("/usr/share/freeswitch/sounds/ring.wav")]
    [InlineData("https://media.example.com/ring.wav")]
    public void Every_documented_ringback_form_is_accepted(string ringback)
    {
        var result = Fixtures.Load(Fixtures.RingGroup($$"""{ "ringback": "{{ringback}}", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Unknown_modules_are_rejected()
    {
        var result = Fixtures.Load("""{ "id": "cf", "numbers": ["1"], "flow": { "module": "voicemail", "data": {} } }""");

        Assert.Equal("$.flow.module", Assert.Single(result.Errors).Path);
        Assert.StartsWith("unknown module 'voicemail'", result.Errors[0].Reason);
    }

    [Fact]
    public void Group_pickup_without_a_scope_is_rejected()
    {
        var result = Fixtures.Load("""{ "id": "pk", "numbers": ["8000"], "flow": { "module": "group_pickup", "data": { "approved_group_id": "sales" } } }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("pk", "$.flow.data", "group_pickup needs a scope: one of device_id, user_id or group_id"), (error.DocumentId, error.Path, error.Reason));
    }

    [Fact]
    public void Group_pickup_references_must_exist()
    {
        var result = Fixtures.Load("""{ "id": "pk", "numbers": ["8000"], "flow": { "module": "group_pickup", "data": { "group_id": "support" } } }""");

        Assert.Equal("group 'support' does not exist", Assert.Single(result.Errors).Reason);
    }

    [Fact]
    public void Duplicate_numbers_across_callflows_are_rejected()
    {
        var result = Fixtures.Load("""
        [ { "id": "a", "numbers": ["7000"], "flow": { "module": "device", "data": { "id": "d1005" } } },
          { "id": "b", "numbers": ["7000"], "flow": { "module": "device", "data": { "id": "d1006" } } } ]
        """);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("b", "$.numbers", "number 7000 is already used by callflow 'a'"), (error.DocumentId, error.Path, error.Reason));
    }

    [Fact]
    public void Group_cycles_are_rejected()
    {
        var groups = """
        [ { "id": "g1", "endpoints": { "g2": { "type": "group" } } },
          { "id": "g2", "endpoints": { "g1": { "type": "group" } } } ]
        """;

        var result = Fixtures.Load("[]", groups: groups);

        Assert.Contains(result.Errors, e => e.DocumentId == "g1" && e.Reason == "group cycle: g1 -> g2 -> g1");
    }

    [Fact]
    public void Owner_ids_that_reference_nothing_are_rejected()
    {
        var result = Fixtures.Load("[]", devices: """[{ "id": "d1", "owner_id": "ghost", "sip": { "username": "1", "realm": "r" } }]""", users: "[]", groups: "[]");

        Assert.Equal(("d1", "$.owner_id", "user 'ghost' does not exist"), (result.Errors[0].DocumentId, result.Errors[0].Path, result.Errors[0].Reason));
    }

    [Fact]
    public void Invalid_json_names_the_file_and_line()
    {
        var result = Fixtures.Load("{ \"id\": \"x\",\n  \"numbers\": [ }");

        var error = Assert.Single(result.Errors);
        Assert.Equal("callflows/main.json", error.File);
        Assert.StartsWith("invalid JSON", error.Reason);
    }

    [Fact]
    public void Unknown_extra_keys_are_kept_not_rejected()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""));

        Assert.True(config.Devices["d1006"].Raw.GetProperty("custom_field").GetProperty("kept").GetBoolean());
    }

    [Fact]
    public void Callflows_are_found_by_exact_number_then_anchored_pattern_and_devices_by_sip_identity()
    {
        var config = Fixtures.Config("""
        [ { "id": "exact", "numbers": ["7000"], "flow": { "module": "device", "data": { "id": "d1005" } } },
          { "id": "pattern", "patterns": ["7\\d{3}"], "flow": { "module": "device", "data": { "id": "d1006" } } } ]
        """);

        Assert.Equal("exact", config.FindCallflow("7000")!.Id);
        Assert.Equal("pattern", config.FindCallflow("7123")!.Id);
        Assert.Null(config.FindCallflow("71234"));
        Assert.Null(config.FindCallflow("17123"));
        Assert.Equal("d1003", config.FindDevice("1003", "PBX.example.com")!.Id);
        Assert.Null(config.FindDevice("1003", "other.example.com"));
    }
}
