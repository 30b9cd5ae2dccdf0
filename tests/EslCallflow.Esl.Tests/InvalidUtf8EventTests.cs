using System.Buffers;
using System.Text;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// FreeSWITCH's cJSON passes a value's bytes through as they are, escaping only quotes, backslashes and control
/// characters: a value with a quote and a byte that is not UTF-8 (a presence id from a caller's From URI) arrives
/// as an escape followed by invalid UTF-8. Such a value reads with U+FFFD, on every decode path; the link and
/// every other event stay.
/// </summary>
public class InvalidUtf8EventTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The minimal frame from issue 15: <c>{"Unique-ID":"\"&lt;FF&gt;"}</c>.</summary>
    private static readonly byte[] IssueFrame = Convert.FromHexString(
        "436F6E74656E742D547970653A20746578742F6576656E742D6A736F6E0A436F6E74656E742D4C656E6774683A2031390A0A7B22556E697175652D4944223A225C22FF227D");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_frame_from_the_issue_reads_with_a_replacement_character_and_the_next_event_arrives_on_the_same_link(bool selectedHeaders)
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["ALL"]) { EventHeaders = selectedHeaders ? ["Other-Leg-Unique-ID"] : null });
        using var cts = new CancellationTokenSource(Timeout);
        var events = client.ReadEventsAsync(cancellationToken: cts.Token).Take(2).ToListAsync(cts.Token).AsTask();

        await fs.SendRawAsync(IssueFrame);
        await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "leg-1"));

        var received = await events;
        Assert.Equal("\"\uFFFD", received[0].UniqueId);
        Assert.Equal("\"\uFFFD", Assert.Single(received[0]).Value);
        Assert.Equal("leg-1", received[1].UniqueId);
        Assert.Equal("CHANNEL_CREATE", received[1].EventName);
        Assert.True(client.IsConnected);
        Assert.Equal(1, fs.ConnectionsAccepted);
    }

    [Fact]
    public async Task The_channel_feed_keeps_its_link_through_the_frame_from_the_issue()
    {
        await using var fs = new FakeFreeSwitch().Start();
        var feed = new EslReconnectingInboundClient(
            new EslInboundOptions { Port = fs.Port, Password = "ClueCon" },
            new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]) { EventHeaders = ["Other-Leg-Unique-ID", "Channel-Call-State"] });
        using var stop = new CancellationTokenSource(Timeout);
        var running = feed.RunAsync(stop.Token);
        var signals = new List<EslInboundSignal>();

        await foreach (var signal in feed.ReadSignalsAsync(stop.Token))
        {
            signals.Add(signal);
            if (signal.Connected is not null)
            {
                await fs.WaitUntilAsync(f => f.SubscriptionCount == 1);
                await fs.SendRawAsync(IssueFrame);
                await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "leg-after"));
            }
            if (signal.Event?.UniqueId == "leg-after")
            {
                break;
            }
        }

        await stop.CancelAsync();
        await running;
        Assert.DoesNotContain(signals, s => s.Disconnected is not null);
        Assert.Equal(0, feed.ReconnectCount);
        Assert.Contains(signals, s => s is { Event.UniqueId: "\"\uFFFD", Generation: 1 });
        Assert.Contains(signals, s => s is { Event.UniqueId: "leg-after", Generation: 1 });
    }

    /// <summary>Raw json string contents (as on the wire, between the quotes) and the text they must read as.</summary>
    public static TheoryData<byte[], string> OddStrings => new()
    {
        { Wire("\\\"\xFF"), "\"\uFFFD" },
        { Wire("plain \xFF\xFE bytes"), "plain \uFFFD\uFFFD bytes" },
        { Wire("cut \xE2\x82"), "cut \uFFFD" },
        { Wire("\\ud800"), "\uFFFD" },
        { Wire("a\\udc00b"), "a\uFFFDb" },
        { Wire("\\ud800\\u0041"), "\uFFFDA" },
        { Wire("\\ud83d\\ude00 ok"), "\U0001F600 ok" },
        { Wire("caf\\u00e9\\n\\t\\\\\\/"), "caf\u00e9\n\t\\/" },
        { Wire("\\\"\xC3\xA9\\\""), "\"\u00e9\"" },
    };

    [Theory]
    [MemberData(nameof(OddStrings))]
    public void Every_json_decode_path_reads_odd_strings_with_replacement_characters(byte[] raw, string expected)
    {
        var json = Concat("{\"Event-Name\":\"CUSTOM\",\"Unique-ID\":\""u8, raw, "\",\"Other\":\"x\"}"u8);
        var escapedName = Concat("{\"Event-Name\":\"CUSTOM\",\"Unique-\\u0049D\":\""u8, raw, "\"}"u8);

        var lazy = DecodedEvents.Json(json);
        var selected = EslEventDecoder.Decode(EslContentType.EventJson, new ReadOnlySequence<byte>(json), new HeaderSelection(["Other"]));
        var eager = DecodedEvents.Json(escapedName);

        Assert.Equal(expected, lazy.UniqueId);
        Assert.Equal(expected, lazy.Single(h => h.Key == "Unique-ID").Value);
        Assert.Equal(expected, selected.UniqueId);
        Assert.Equal(expected, eager.UniqueId);
        Assert.Equal("x", lazy["Other"]);
        Assert.Equal("x", selected["Other"]);
    }

    [Fact]
    public void Odd_bytes_in_names_and_the_body_read_with_replacement_characters_too()
    {
        var json = Latin1("{\"Event-Name\":\"BACKGROUND_JOB\",\"Na\\u006De\xFF\":\"v\",\"_body\":\"+OK \\\"\xFF\"}");

        var evt = DecodedEvents.Json(json);

        Assert.Equal("v", evt["Name\uFFFD"]);
        Assert.Equal("+OK \"\uFFFD", evt.Body);
    }

    [Fact]
    public void Plain_and_url_encoded_values_with_invalid_utf8_read_with_replacement_characters()
    {
        var evt = DecodedEvents.Plain("Event-Name: CUSTOM\nUnique-ID: %22%FF\nBroken: 100%ZZ%e2%82\n\n"u8);

        Assert.Equal("\"\uFFFD", evt.UniqueId);
        Assert.Equal("100%ZZ\uFFFD", evt["Broken"]);
    }

    [Fact]
    public void Channel_data_with_invalid_utf8_reads_with_replacement_characters_when_packed()
    {
        var channelData = EventTemplates.ChannelData(new Dictionary<string, string> { ["Unique-ID"] = "chan-1" });
        var wire = new StringBuilder();
        foreach (var (name, value) in channelData)
        {
            wire.Append(name).Append(": ").Append(EslWire.UrlEncode(value)).Append('\n');
        }
        wire.Append("variable_presence_id: %22%FF%40example\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n");
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(wire.ToString()));

        Assert.True(EslFrameParser.TryParse(ref buffer, EslFrameLimits.Default, out var frame));
        var packed = frame!.Headers;
        var compacted = EslHeaders.From([new("Lone", "a\ud800b")]);

        Assert.Equal("\"\uFFFD@example", packed["variable_presence_id"]);
        Assert.Equal("\"\uFFFD@example", packed.Single(h => h.Key == "variable_presence_id").Value);
        Assert.Equal("chan-1", packed["Unique-ID"]);
        Assert.Equal("a\uFFFDb", compacted["Lone"]);
    }

    private static byte[] Wire(string latin1) => Latin1(latin1);

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c) => [.. a, .. b, .. c];
}
