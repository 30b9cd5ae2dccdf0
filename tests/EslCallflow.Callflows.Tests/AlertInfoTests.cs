using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Callflows.Tests;

/// <summary>Issue 16 item 5: every ringtone form an operator writes becomes an Alert-Info header whose info= carries the name.</summary>
public class AlertInfoTests
{
    [Theory]
    [InlineData("Bellcore-dr2", "<http://127.0.0.1>;info=Bellcore-dr2")]
    [InlineData("info=group-tone", "<http://127.0.0.1>;info=group-tone")]
    [InlineData("INFO=Ring2", "<http://127.0.0.1>;info=Ring2")]
    [InlineData("info=\"My tone\"", "<http://127.0.0.1>;info=\"My tone\"")]
    [InlineData("<http://pbx/ring.wav>;info=alert-internal", "<http://pbx/ring.wav>;info=alert-internal")]
    [InlineData("<http://127.0.0.1>;info=Bellcore-dr3;x-line-id=0", "<http://127.0.0.1>;info=Bellcore-dr3;x-line-id=0")]
    [InlineData("<urn:alert:tone:internal>", "<urn:alert:tone:internal>")]
    [InlineData("http://pbx/ring.wav", "<http://pbx/ring.wav>")]
    [InlineData("https://pbx.example.com/tones/a.wav?v=2", "<https://pbx.example.com/tones/a.wav?v=2>")]
    [InlineData("it's.~ring", "<http://127.0.0.1>;info=it's.~ring")]
    public void Each_form_becomes_a_header_in_uri_and_parameter_form(string ringtone, string header)
    {
        Assert.Null(AlertInfo.Check(ringtone));
        Assert.Equal(header, AlertInfo.Header(ringtone));
    }

    [Theory]
    [InlineData("Sales ring")]
    [InlineData("info=")]
    [InlineData("info=a b")]
    [InlineData("info=a;b")]
    [InlineData("<>")]
    [InlineData("<http://pbx/a b>")]
    [InlineData("<http://pbx>info=x")]
    [InlineData("<http://pbx>;info=a,b")]
    [InlineData("<http://pbx>;=x")]
    [InlineData("http://")]
    [InlineData("a,b")]
    [InlineData("\"quoted\"")]
    public void Anything_else_is_refused_with_the_forms_that_work(string ringtone)
    {
        Assert.StartsWith("is not a ringtone FreeSWITCH can send as Alert-Info: write a name (Bellcore-dr2), info=name", AlertInfo.Check(ringtone));
    }

    [Fact]
    public void A_bad_ringtone_is_reported_at_load_with_file_document_and_field()
    {
        var result = Fixtures.Load(Fixtures.RingGroup("""{ "ringtones": { "internal": "Sales ring" }, "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""),
            """[{ "id": "d1", "sip": { "username": "1001", "realm": "r" }, "ringtones": { "external": "a,b" } }]""");

        Assert.Contains(result.Errors, e => e.File == "callflows/main.json" && e.DocumentId == "rg" && e.Path == "$.flow.data.ringtones.internal");
        Assert.Contains(result.Errors, e => e.File == "devices/office.json" && e.DocumentId == "d1" && e.Path == "$.ringtones.external");
    }

    [Fact]
    public void The_plan_shows_the_header_each_leg_gets()
    {
        var config = Fixtures.Config(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d1003", "endpoint_type": "device" }, { "id": "d1005", "endpoint_type": "device" } ] }"""));

        var legs = Routing.CallPlanner.Plan(config, "7000", config.Devices["d1001"], 1).RingGroup!.Legs;

        Assert.Equal(["<http://127.0.0.1>;info=bob-internal", null], legs.Select(l => l.AlertInfo));
    }
}
