using EslCallflow.Testing;
using EslCallflow.Callflows.Routing;

namespace EslCallflow.Callflows.Tests;

public class InjectionTests
{
    [Theory]
    [InlineData("Smith, John")]
    [InlineData("O'Brien | Sales")]
    [InlineData("Hi!^^,x='y'")]
    [InlineData("a:b!c^d|e,f")]
    public void Awkward_but_legal_text_is_quoted_so_freeswitch_sees_exactly_the_intended_legs_and_values(string name)
    {
        var devices = $$"""
        [
          { "id": "d1", "owner_id": "u1", "sip": { "username": "1001", "realm": "r" }, "caller_id": { "internal": { "name": {{System.Text.Json.JsonSerializer.Serialize(name)}}, "number": "1001" } } },
          { "id": "d2", "sip": { "username": "1002", "realm": "r" }, "ringtones": { "internal": {{System.Text.Json.JsonSerializer.Serialize(name)}} } },
          { "id": "d3", "sip": { "username": "1003", "realm": "r" } }
        ]
        """;
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d2", "endpoint_type": "device" }, { "id": "d3", "endpoint_type": "device" } ] }"""), devices, """[{ "id": "u1" }]""", """{ "id": "g", "endpoints": {} }""");

        var plan = CallPlanner.Plan(config, "7000", config.Devices["d1"], 1);
        var parsed = FreeSwitchDialString.Parse(plan.RingGroup!.DialString!);

        Assert.Equal(["user/1002@r", "user/1003@r"], parsed.Legs.Select(l => l.Endpoint));
        Assert.All(parsed.Legs, l => Assert.Equal(name, l.Variables["origination_caller_id_name"]));
        Assert.Equal(name, parsed.Legs[0].Variables["sip_h_Alert-Info"]);
        Assert.Equal(["eslcallflow_device_id", "leg_timeout", "origination_caller_id_name", "origination_caller_id_number", "sip_h_Alert-Info"], parsed.Legs[0].Variables.Keys.Order());
    }

    [Theory]
    [InlineData("x]user/6666@evil", "must not contain ']'")]
    [InlineData("x{a=b}", "must not contain '{'")]
    [InlineData("${system(reboot)}", "must not contain '${' (FreeSWITCH would expand it)")]
    [InlineData("line\nbreak", "must not contain control characters (newline, tab, NUL)")]
    [InlineData("a:_:user/6666", "must not contain ':_:'")]
    [InlineData("back\\slash", "must not contain '\\'")]
    public void Text_that_quoting_cannot_neutralise_is_refused_at_load_time(string name, string reason)
    {
        var devices = $$"""[{ "id": "d1", "sip": { "username": "1001", "realm": "r" }, "caller_id": { "internal": { "name": {{System.Text.Json.JsonSerializer.Serialize(name)}} } } }]""";

        var result = Fixtures.Load("[]", devices, "[]", "[]");

        var error = Assert.Single(result.Errors);
        Assert.Equal("devices/office.json", error.File);
        Assert.Equal("d1", error.DocumentId);
        Assert.Equal("$.caller_id.internal.name", error.Path);
        Assert.EndsWith(reason, error.Reason);
    }

    [Theory]
    [InlineData("$.id", """{ "id": "d,1", "sip": { "username": "1001", "realm": "r" } }""")]
    [InlineData("$.sip.username", """{ "id": "d1", "sip": { "username": "1001|user/9", "realm": "r" } }""")]
    [InlineData("$.sip.realm", """{ "id": "d1", "sip": { "username": "1001", "realm": "r,user/9@x" } }""")]
    [InlineData("$.dial_string", """{ "id": "d1", "dial_string": "user/1,user/2", "sip": { "username": "1001", "realm": "r" } }""")]
    public void Ids_and_sip_identities_cannot_carry_separators(string path, string device)
    {
        var result = Fixtures.Load("[]", $"[{device}]", "[]", "[]");

        Assert.Contains(result.Errors, e => e.Path == path);
        Assert.Null(result.Configuration);
    }
}
