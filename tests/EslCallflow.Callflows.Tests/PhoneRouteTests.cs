using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Testing;

namespace EslCallflow.Callflows.Tests;

/// <summary>Several switches: legs to phones go through the proxy where the phones registered, keeping their presence.</summary>
public class PhoneRouteTests
{
    private static readonly PhoneRoute Proxy = new("internal", "sip:10.0.0.10:5060");

    [Fact]
    public void Routed_legs_go_to_the_phones_address_of_record_through_the_proxy_with_lr_encoded_and_keep_presence()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" }, { "id": "d1006", "endpoint_type": "device", "delay": 3 } ] }"""));
        var data = (RingGroupData)config.FindCallflow("7000")!.Flow.Parsed!;

        var plan = RingGroupPlanner.Plan(config, data, CallerContext.External with { PhoneRoute = Proxy }, new Random(1));

        Assert.Equal(
            "{call_timeout=21,originate_timeout=21,ignore_early_media=true,local_var_clobber=true,outbound_redirect_fatal=true}" +
            "[^^!leg_timeout=20!eslcallflow_device_id=d1005!presence_id=1005@pbx.example.com!sip_invite_domain=pbx.example.com]sofia/internal/1005@pbx.example.com;fs_path=%3Csip:10.0.0.10:5060%3Blr%3E," +
            "[^^!leg_timeout=20!leg_delay_start=3!eslcallflow_device_id=d1006!presence_id=1006@pbx.example.com!sip_invite_domain=pbx.example.com]sofia/internal/1006@pbx.example.com;fs_path=%3Csip:10.0.0.10:5060%3Blr%3E",
            plan.DialString);
        // As FreeSWITCH reads it: two legs, each its own channel variables and the proxied endpoint.
        var legs = FreeSwitchDialString.Parse(plan.DialString!).Legs;
        Assert.Equal(["1005@pbx.example.com", "1006@pbx.example.com"], legs.Select(l => l.Variables["presence_id"]));
        Assert.All(legs, l => Assert.EndsWith(";fs_path=%3Csip:10.0.0.10:5060%3Blr%3E", l.Endpoint, StringComparison.Ordinal));
    }

    [Fact]
    public void A_device_with_a_dial_string_of_its_own_is_rung_as_written_and_one_switch_alone_is_unchanged()
    {
        var devices = """[ { "id": "d1005", "name": "desk", "sip": { "username": "1005", "realm": "pbx.example.com" }, "dial_string": "loopback/9196/default" } ]""";
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""), devices, null, "[]");
        var data = (RingGroupData)config.FindCallflow("7000")!.Flow.Parsed!;

        var routed = RingGroupPlanner.Plan(config, data, CallerContext.External with { PhoneRoute = Proxy }, new Random(1));
        var alone = RingGroupPlanner.Plan(config, data, CallerContext.External, new Random(1));

        Assert.Equal(alone.DialString, routed.DialString);
        Assert.EndsWith("]loopback/9196/default", routed.DialString, StringComparison.Ordinal);
    }
}
