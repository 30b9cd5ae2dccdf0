using System.Text;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Messages;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// A connection decodes events only in the format it asked for, and the xml decoder, for connections that do ask
/// for xml, expands no entity.
/// </summary>
public class EventFormatTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>524 bytes that a DTD-parsing decoder expands to a billion "lol"s.</summary>
    private static readonly string BillionLaughs =
        "<!DOCTYPE event [\n<!ENTITY a \"" + string.Concat(Enumerable.Repeat("lol", 9)) + "\">" +
        string.Concat(Enumerable.Range(1, 8).Select(i => $"<!ENTITY {(char)('a' + i)} \"{string.Concat(Enumerable.Repeat($"&{(char)('a' + i - 1)};", 10))}\">")) +
        "]>\n<event><headers><Unique-ID>&i;</Unique-ID></headers></event>";

    private static byte[] XmlFrame(string xml) =>
        Encoding.UTF8.GetBytes($"Content-Length: {Encoding.UTF8.GetByteCount(xml)}\nContent-Type: text/event-xml\n\n{xml}");

    [Fact]
    public void The_billion_laughs_frame_is_the_issue_s_size()
    {
        Assert.Equal(524, XmlFrame(BillionLaughs).Length);
    }

    [Fact]
    public async Task An_xml_event_on_a_json_connection_is_not_decoded_and_the_next_event_arrives_on_the_same_link()
    {
        var logs = new LogCapture();
        using var metrics = new MeasurementRecorder();
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" }, logs);
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["ALL"]));
        using var cts = new CancellationTokenSource(Timeout);
        var first = client.ReadEventsAsync(cancellationToken: cts.Token).FirstAsync(cts.Token).AsTask();

        await fs.SendRawAsync(XmlFrame(BillionLaughs));
        await fs.SendRawAsync(XmlFrame(BillionLaughs));
        await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "leg-1"));

        Assert.Equal("leg-1", (await first).UniqueId);
        Assert.True(client.IsConnected);
        var skipped = Assert.Single(logs.Entries, e => e.EventId.Id == 1006);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, skipped.Level);
        Assert.Equal("EventXml", skipped.Values["Format"]);
        Assert.Single(logs.Entries, e => e.EventId.Id == 1007);
        Assert.True(metrics.Count(EslMetrics.EventsSkippedName, "unrequested_format") >= 2);
    }

    [Fact]
    public async Task A_plain_connection_takes_plain_events_and_leaves_json_ones()
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Plain, ["ALL"]));
        using var cts = new CancellationTokenSource(Timeout);
        var events = client.ReadEventsAsync(cancellationToken: cts.Token).Take(2).ToListAsync(cts.Token).AsTask();

        await fs.SendRawAsync(EslWire.JsonEvent(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "as-json")));
        await fs.SendRawAsync(EslWire.PlainEvent(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "as-plain-1")));
        await fs.SendRawAsync(EslWire.PlainEvent(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "as-plain-2")));

        Assert.Equal(["as-plain-1", "as-plain-2"], (await events).Select(e => e.UniqueId));
    }

    [Fact]
    public void The_xml_decoder_refuses_a_dtd_without_expanding_it()
    {
        var body = Encoding.UTF8.GetBytes(BillionLaughs);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<EslProtocolException>(() => DecodedEvents.Xml(body));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith("invalid xml event", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1024 * 1024, $"decoding a 524-byte frame allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Xml_events_without_a_dtd_still_decode()
    {
        var evt = DecodedEvents.Xml("<event><headers><Event-Name>CHANNEL_CREATE</Event-Name><Unique-ID>u-1</Unique-ID><Caller-Caller-ID-Name>A%20%26%20B</Caller-Caller-ID-Name></headers><body>+OK &amp; done</body></event>"u8);

        Assert.Equal("CHANNEL_CREATE", evt.EventName);
        Assert.Equal("u-1", evt.UniqueId);
        Assert.Equal("A & B", evt["Caller-Caller-ID-Name"]);
        Assert.Equal("+OK & done", evt.Body);
    }
}
