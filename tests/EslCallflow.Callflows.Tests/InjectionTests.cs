using System.Text.Json;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Routing;
using EslCallflow.Testing;
using EslCallflow.Testing.FreeSwitchModel;

namespace EslCallflow.Callflows.Tests;

/// <summary>Issue 15 item 1: document values reach FreeSWITCH exactly and add nothing, read by the FreeSWITCH model.</summary>
public class InjectionTests
{
    private static ParsedDialString PlanWithCallerName(string name, string ringtone = "Bellcore-dr2")
    {
        var devices = $$"""
        [
          { "id": "d1", "owner_id": "u1", "sip": { "username": "1001", "realm": "r" }, "caller_id": { "internal": { "name": {{JsonSerializer.Serialize(name)}}, "number": "1001" } } },
          { "id": "d2", "sip": { "username": "1002", "realm": "r" }, "ringtones": { "internal": {{JsonSerializer.Serialize(ringtone)}} } },
          { "id": "d3", "sip": { "username": "1003", "realm": "r" } }
        ]
        """;
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d2", "endpoint_type": "device" }, { "id": "d3", "endpoint_type": "device" } ] }"""), devices, """[{ "id": "u1" }]""", """{ "id": "g", "endpoints": {} }""");
        return FreeSwitchDialString.Parse(CallPlanner.Plan(config, "7000", config.Devices["d1"], 1).RingGroup!.DialString!);
    }

    [Fact]
    public void The_caller_id_name_from_the_issue_arrives_whole_and_adds_no_header()
    {
        const string name = "O'Brien!sip_h_X-Injected=yes";

        var parsed = PlanWithCallerName(name);

        Assert.False(parsed.Enterprise);
        Assert.Equal(["user/1002@r", "user/1003@r"], parsed.Legs.Select(l => l.Endpoint));
        Assert.All(parsed.Legs, leg =>
        {
            Assert.Equal(name, leg.ChannelVariables["origination_caller_id_name"]);
            Assert.Equal(name, SofiaCallerId.OnPhone(leg));
            Assert.DoesNotContain(leg.ChannelVariables.Keys, k => k.StartsWith("sip_h_X", StringComparison.OrdinalIgnoreCase));
            Assert.Empty(leg.RefusedVariables);
        });
    }

    [Theory]
    [InlineData("Smith, John")]
    [InlineData("O'Brien | Sales")]
    [InlineData("Hi!^^,x='y'")]
    [InlineData("a:b!c^d|e,f")]
    [InlineData("x]user/6666@evil")]
    [InlineData("[^^!a=b]")]
    [InlineData("x{a=b}")]
    [InlineData("a:_:user/6666")]
    [InlineData(@"back\slash\'\\")]
    [InlineData("\"quoted\" name")]
    [InlineData("50% off %41")]
    [InlineData("$$cash $x {$}")]
    [InlineData("  spaced  ")]
    [InlineData("Zoë Ærøskøbing 日本 😀")]
    [InlineData("x!execute_on_answer=system reboot")]
    [InlineData("origination_nested_vars=true")]
    [InlineData("Sales/Support")]
    [InlineData("A/V room")]
    [InlineData("Sales: Alice")]
    [InlineData("alice@home")]
    [InlineData("<Tom & \"Jerry\"> / R&D: 50%")]
    [InlineData("set_profile_var caller_id_name=x/y")]
    public void Awkward_caller_id_names_reach_every_leg_exactly_and_the_phone_shows_them(string name)
    {
        var parsed = PlanWithCallerName(name);

        Assert.False(parsed.Enterprise);
        Assert.Empty(parsed.ApiCalls);
        Assert.Equal(["user/1002@r", "user/1003@r"], parsed.Legs.Select(l => l.Endpoint));
        string[] restore = name.AsSpan().IndexOfAny("/:@") >= 0 ? [LegCallerIdName.RestoreVariable] : [];
        Assert.Equal(["eslcallflow_device_id", .. restore, "leg_timeout", "origination_caller_id_name", "origination_caller_id_number", "sip_h_Alert-Info"], parsed.Legs[0].Variables.Keys.Order());
        Assert.All(parsed.Legs, leg =>
        {
            Assert.Equal(SipDisplayName.Encode(name), leg.ChannelVariables["origination_caller_id_name"]);
            Assert.Equal(SipDisplayName.Encode(name), SofiaCallerId.ProfileName(leg));
            Assert.Equal(name, SofiaCallerId.OnPhone(leg));
            Assert.Equal("1001", leg.ChannelVariables["origination_caller_id_number"]);
            Assert.Empty(leg.RefusedVariables);
        });
        Assert.Equal("d2", parsed.Legs[0].ChannelVariables[DialString.DeviceVariable]);
        Assert.Equal("<http://127.0.0.1>;info=Bellcore-dr2", parsed.Legs[0].ChannelVariables["sip_h_Alert-Info"]);
    }

    [Theory]
    [InlineData("<http://pbx/a,b|c!d'e]f[[g{h}$i\\j^^k:_:l>;info=x")]
    [InlineData("info=it's!~")]
    [InlineData("http://pbx/ring.wav?a=1&b='2'")]
    public void Awkward_ringtones_reach_the_alert_info_header_exactly(string ringtone)
    {
        var leg = PlanWithCallerName("Bob", ringtone).Legs[0];

        Assert.Equal(AlertInfo.Header(ringtone), leg.ChannelVariables["sip_h_Alert-Info"]);
        Assert.Equal(["eslcallflow_device_id", "leg_timeout", "origination_caller_id_name", "origination_caller_id_number", "sip_h_Alert-Info"], leg.Variables.Keys.Order());
    }

    [Theory]
    [InlineData("${system(reboot)}", "must not contain '${' (FreeSWITCH refuses a channel variable that holds one)")]
    [InlineData("$\\{x}", "must not contain '${' (FreeSWITCH refuses a channel variable that holds one)")]
    [InlineData("a$${b}", "must not contain '${' (FreeSWITCH refuses a channel variable that holds one)")]
    [InlineData("line\nbreak", "must not contain control characters (newline, tab, NUL)")]
    [InlineData("tab\there", "must not contain control characters (newline, tab, NUL)")]
    [InlineData("ARRAY::x|:y", "must not start with 'ARRAY::' (FreeSWITCH turns such a variable into an array)")]
    public void Text_no_encoding_can_carry_is_refused_at_load_time_naming_file_document_and_field(string name, string reason)
    {
        var devices = $$"""[{ "id": "d1", "sip": { "username": "1001", "realm": "r" }, "caller_id": { "internal": { "name": {{JsonSerializer.Serialize(name)}} } } }]""";

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
    [InlineData("$.dial_string", """{ "id": "d1", "dial_string": "user/1:_:user/2", "sip": { "username": "1001", "realm": "r" } }""")]
    [InlineData("$.caller_id.internal.number", """{ "id": "d1", "sip": { "username": "1001", "realm": "r" }, "caller_id": { "internal": { "number": "1001!x=1" } } }""")]
    public void Ids_endpoints_and_numbers_cannot_carry_separators(string path, string device)
    {
        var result = Fixtures.Load("[]", $"[{device}]", "[]", "[]");

        Assert.Contains(result.Errors, e => e.Path == path && e.File == "devices/office.json");
        Assert.Null(result.Configuration);
    }

    [Fact]
    public void Ringback_reaches_the_variable_through_both_expansions_of_set()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "ringback": "tone_stream://%(400,200,400,450);loops=$$2", "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""));
        var plan = CallPlanner.Plan(config, "7000", null, 1).RingGroup!;

        var set = plan.Commands.First(c => c.Application == "set" && c.Argument!.StartsWith("ringback=", StringComparison.Ordinal));
        // switch_core_session_exec expands the whole argument, mod_dptools base_set the value again.
        var afterExec = VariableExpansion.Expand(set.Argument!).Text;
        var value = VariableExpansion.Expand(afterExec["ringback=".Length..]).Text;

        Assert.Equal("tone_stream://%(400,200,400,450);loops=$$2", value);
    }

    [Theory]
    [InlineData(@"486 O\'Brien says \\no\s")]
    [InlineData("603 $$x ${y} $\\{z}")]
    [InlineData("480 plain text")]
    public void An_application_argument_reaches_the_application_exactly(string argument)
    {
        var sent = AppArgument.Encode(argument);

        var expansion = VariableExpansion.Expand(sent, new Dictionary<string, string> { ["y"] = "EXPANDED" });

        Assert.Equal(argument, expansion.Text);
        Assert.Empty(expansion.ApiCalls);
        Assert.Empty(expansion.Variables);
    }
}
