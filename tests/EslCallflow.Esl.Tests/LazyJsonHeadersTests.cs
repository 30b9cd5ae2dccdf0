using System.Buffers;
using System.Text;
using System.Text.Json;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>Json events are decoded lazily; what a reader sees must be exactly what a full json parse sees.</summary>
public class LazyJsonHeadersTests
{
    public static TheoryData<string> JsonCaptures => new() { "events-pickup-json.txt", "inbound-json.txt", "outbound-basic-json.txt", "outbound-pickup-json.txt" };

    [Theory]
    [MemberData(nameof(JsonCaptures))]
    public void Every_header_of_every_captured_event_reads_as_a_full_json_parse_reads_it(string capture)
    {
        var bodies = EventTemplates.JsonBodies(Transcript.ReceivedStream(capture)).ToList();
        Assert.NotEmpty(bodies);
        foreach (var body in bodies)
        {
            var expected = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(body)!
                .Where(p => p.Key != "_body")
                .ToDictionary(p => p.Key, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());

            var evt = DecodedEvents.Json(body);

            foreach (var (name, value) in expected)
            {
                Assert.Equal(value, evt[name]);
            }
            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), evt.OrderBy(p => p.Key, StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Headers_made_from_pairs_read_exactly_as_a_dictionary_of_those_pairs()
    {
        var channelData = EventTemplates.ChannelData(new Dictionary<string, string> { ["Caller-Caller-ID-Name"] = "Zoë 'Z' 100%" });
        channelData.Add(new("Ünïcode-Name", "ü"));
        channelData.Add(new("variable_long", new string('x', 300)));
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in channelData)
        {
            headers[name] = value;
        }

        var packed = EslHeaders.From(channelData);

        Assert.Equal(headers.Count, packed.Count);
        foreach (var (name, value) in headers)
        {
            Assert.Equal(value, packed[name]);
        }
        Assert.Equal("Zoë 'Z' 100%", packed["Caller-Caller-ID-Name"]);
        Assert.Equal("ü", packed["Ünïcode-Name"]);
        Assert.Equal(new string('x', 300), packed["variable_long"]);
        Assert.Null(packed["No-Such-Header"]);
        Assert.Equal(headers.Keys, packed.Keys);
    }

    [Fact]
    public void Escapes_unicode_arrays_numbers_duplicates_and_the_body_decode_as_freeswitch_means_them()
    {
        var json = Encoding.UTF8.GetBytes("""
            {"Event-Name":"CUSTOM","Caller-Caller-ID-Name":"Zo\u00eb \"Z\" \\ O'Brien","variable_DP_MATCH":["8000","8000"],
             "Event-Sequence":853,"Dup":"first","Dup":"last","Ünïcode":"ü","_body":"+OK line\nsecond"}
            """);

        var evt = DecodedEvents.Json(json);

        Assert.Equal("Zoë \"Z\" \\ O'Brien", evt["Caller-Caller-ID-Name"]);
        Assert.Equal("""["8000","8000"]""", evt["variable_DP_MATCH"]);
        Assert.Equal("853", evt["Event-Sequence"]);
        Assert.Equal("last", evt["Dup"]);
        Assert.Equal("ü", evt["Ünïcode"]);
        Assert.Null(evt["Ãœnïcode"]);
        Assert.Null(evt["_body"]);
        Assert.Equal("+OK line\nsecond", evt.Body);
        Assert.Equal(6, evt.Count);
    }

    [Fact]
    public void A_whole_json_event_read_from_a_buffer_outlives_the_buffer_being_reused()
    {
        var json = Encoding.UTF8.GetBytes("""{"Event-Name":"CHANNEL_ANSWER","Unique-ID":"leg-1","Dup":"first","Dup":"last","Esc":"a\"b","_body":"x"}""");
        var frame = new EslFrame(EslContentType.EventJson, EslHeaders.Empty, json.ToArray());

        var fromBuffer = EslEventDecoder.Decode(EslContentType.EventJson, new ReadOnlySequence<byte>(json), null);
        var fromMemory = DecodedEvents.Json(json);
        var fromFrame = EslEventDecoder.Decode(frame);
        Array.Fill(json, (byte)'#');

        foreach (var evt in new[] { fromBuffer, fromMemory, fromFrame })
        {
            Assert.Equal("CHANNEL_ANSWER", evt.EventName);
            Assert.Equal("leg-1", evt.UniqueId);
            Assert.Equal("last", evt["Dup"]);
            Assert.Equal("a\"b", evt["Esc"]);
            Assert.Equal("x", evt.Body);
            Assert.Equal(4, evt.Count);
        }
    }
}
