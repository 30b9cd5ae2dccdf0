using System.Buffers;
using System.Text;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// A connection told which event headers its consumer reads decodes only those, straight from the socket
/// buffer. What the consumer reads must be exactly what a full decode gives; everything else reads as absent.
/// </summary>
public class SelectedEventHeadersTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly string[] Wanted =
        ["Channel-Call-State", "Other-Leg-Unique-ID", "Answer-State", "variable_presence_id", "Caller-Channel-Created-Time", "variable_DP_MATCH"];

    public static TheoryData<string, int> Captures => new()
    {
        { "events-pickup-json.txt", 0 },
        { "events-pickup-json.txt", 701 },
        { "inbound-json.txt", 64 },
        { "inbound-plain.txt", 0 },
        { "inbound-plain.txt", 333 },
        { "outbound-pickup-json.txt", 1500 },
    };

    [Theory]
    [MemberData(nameof(Captures))]
    public void Selected_headers_read_as_a_full_decode_reads_them_and_the_rest_are_absent(string capture, int segmentSize)
    {
        var selection = new HeaderSelection(Wanted);
        var buffer = FrameFeeding.Segmented(Transcript.ReceivedStream(capture), segmentSize);
        var events = 0;

        while (EslFrameParser.TryCut(ref buffer, EslFrameLimits.Default, out var cut))
        {
            if (!EslEventDecoder.IsEvent(cut.ContentType))
            {
                continue;
            }
            var full = EslEventDecoder.Decode(cut.ToFrame());
            var selected = EslEventDecoder.Decode(cut.ContentType, cut.Body, selection);
            events++;

            foreach (var name in Wanted.Concat(HeaderSelection.Routing))
            {
                Assert.Equal(full[name], selected[name]);
            }
            Assert.Equal(full.Body, selected.Body);
            Assert.Equal(full.EventName, selected.EventName);
            Assert.Null(selected["Core-UUID"]);
            Assert.Null(selected["Event-Date-Local"]);
            Assert.All(selected, h => Assert.Contains(h.Key, Wanted.Concat(HeaderSelection.Routing).Append("Content-Length")));
        }

        Assert.True(buffer.IsEmpty);
        Assert.True(events > 10, $"only {events} events in {capture}");
    }

    [Fact]
    public void Values_kept_for_reuse_never_come_back_for_a_different_value()
    {
        // 20,000 distinct UUIDs through 4,096 reuse slots: collisions everywhere, each must still read right.
        var selection = new HeaderSelection(["Other-Leg-Unique-ID"]);
        for (var i = 0; i < 20_000; i++)
        {
            var uuid = Guid.NewGuid().ToString();
            var other = i % 3 == 0 ? "00000000-0000-0000-0000-000000000000" : Guid.NewGuid().ToString();
            var json = Encoding.UTF8.GetBytes($$"""{"Event-Name":"CHANNEL_CREATE","Unique-ID":"{{uuid}}","Other-Leg-Unique-ID":"{{other}}","Event-Sequence":"{{i}}"}""");

            var evt = EslEventDecoder.Decode(EslContentType.EventJson, new ReadOnlySequence<byte>(json), selection);

            Assert.Equal(uuid, evt.UniqueId);
            Assert.Equal(other, evt.OtherLegUniqueId);
            Assert.Null(evt["Event-Sequence"]);
        }
    }

    [Fact]
    public void A_selected_json_event_keeps_the_last_of_a_repeated_header_and_decodes_escapes()
    {
        var selection = new HeaderSelection(["Caller-Caller-ID-Name", "Dup"]);
        var json = Encoding.UTF8.GetBytes("""{"Event-Name":"CUSTOM","Caller-Caller-ID-Name":"Zo\u00eb \"Z\"","Dup":"first","Dup":"last","_body":"+OK"}""");

        var evt = EslEventDecoder.Decode(EslContentType.EventJson, new ReadOnlySequence<byte>(json), selection);

        Assert.Equal("Zoë \"Z\"", evt["Caller-Caller-ID-Name"]);
        Assert.Equal("last", evt["Dup"]);
        Assert.Equal("+OK", evt.Body);
        Assert.Equal(3, evt.Count);
    }

    [Fact]
    public void A_selected_xml_event_reads_as_its_whole_decode_for_the_headers_named()
    {
        var xml = Encoding.UTF8.GetBytes("<event><headers><Event-Name>CHANNEL_CALLSTATE</Event-Name><Unique-ID>u-1</Unique-ID>"
            + "<Channel-Call-State>RINGING</Channel-Call-State><variable_presence_id>1001%40pbx.example.com</variable_presence_id>"
            + "<Core-UUID>core</Core-UUID></headers><body>+OK &amp; done</body></event>");

        var full = DecodedEvents.Xml(xml);
        var selected = EslEventDecoder.Decode(EslContentType.EventXml, new ReadOnlySequence<byte>(xml), new HeaderSelection(Wanted));

        foreach (var name in Wanted.Concat(HeaderSelection.Routing))
        {
            Assert.Equal(full[name], selected[name]);
        }
        Assert.Equal("1001@pbx.example.com", selected.GetVariable("presence_id"));
        Assert.Equal("+OK & done", selected.Body);
        Assert.Null(selected["Core-UUID"]);
        Assert.Equal("core", full["Core-UUID"]);
    }

    [Theory]
    [InlineData("{\"Event-Name\": \"CHANNEL_CREATE\"", "invalid json event")]
    [InlineData("[1,2]", "json event is not an object")]
    public void Broken_json_is_a_protocol_error_when_selected_too(string json, string expectedStart)
    {
        var error = Assert.Throws<EslProtocolException>(() =>
            EslEventDecoder.Decode(EslContentType.EventJson, new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), new HeaderSelection(Wanted)));
        Assert.StartsWith(expectedStart, error.Message);
    }

    [Fact]
    public async Task An_inbound_client_keeping_only_some_headers_still_routes_jobs_and_events()
    {
        await using var fs = new FakeFreeSwitch().Start();
        fs.BgApi = _ => "+OK job-done\n";
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["CHANNEL_CALLSTATE", "BACKGROUND_JOB"]) { EventHeaders = ["Channel-Call-State"] });
        using var cts = new CancellationTokenSource(Timeout);
        var first = client.ReadEventsAsync(e => e.EventName == "CHANNEL_CALLSTATE", cts.Token).FirstAsync(cts.Token).AsTask();

        var published = EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", "leg-7", new Dictionary<string, string> { ["Channel-Call-State"] = "RINGING" });
        await fs.PublishAsync(published);
        var job = await client.BgApiAsync("originate loopback/park &park()").WaitAsync(Timeout);

        var evt = await first;
        Assert.Equal("leg-7", evt.UniqueId);
        Assert.Equal("RINGING", evt.ChannelCallState);
        Assert.Null(evt.OtherLegUniqueId);
        Assert.True(job.IsSuccess);
        Assert.Equal("job-done", job.Detail);
    }
}
