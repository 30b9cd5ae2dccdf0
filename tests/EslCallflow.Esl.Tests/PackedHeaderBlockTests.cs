using System.Buffers;
using System.Text;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// A frame's header block (a <c>connect</c> reply's channel data above all) is packed as it is decoded instead of
/// becoming a dictionary of strings. What a handler reads from it must be exactly what a dictionary would hold.
/// </summary>
public class PackedHeaderBlockTests
{
    /// <summary>A header block this long is a connect reply's channel data (~200 headers); command replies are a few lines.</summary>
    private const int ChannelDataBytes = 1024;

    /// <summary>The header lines decoded one at a time into a dictionary (a repeated name keeps its last value): the plain reference.</summary>
    private static Dictionary<string, string> Reference(ReadOnlySequence<byte> lines)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in Encoding.UTF8.GetString(lines.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = PercentDecoding.Decode(line[(colon + 1)..].TrimStart(' '));
        }
        return headers;
    }

    public static TheoryData<string, int> Captures => new()
    {
        { "outbound-basic-json.txt", 0 },
        { "outbound-basic-json.txt", 7 },
        { "outbound-bridge-fail-plain.txt", 64 },
        { "outbound-pickup-json.txt", 333 },
    };

    [Theory]
    [MemberData(nameof(Captures))]
    public void The_channel_data_of_a_real_connect_reply_reads_as_the_dictionary_decode(string capture, int segmentSize)
    {
        var buffer = FrameFeeding.Segmented(Transcript.ReceivedStream(capture), segmentSize);
        var connectReplies = 0;

        while (EslFrameParser.TryCut(ref buffer, EslFrameLimits.Default, out var cut))
        {
            if (cut.HeaderLines.Length <= ChannelDataBytes)
            {
                continue;
            }
            connectReplies++;
            var expected = Reference(cut.HeaderLines);
            var packed = cut.ToFrame().Headers;

            Assert.True(expected.Count > 100, $"a connect reply carries the channel's variables, got {expected.Count}");
            foreach (var (name, value) in expected)
            {
                Assert.Equal(value, packed[name]);
            }
            Assert.Equal(expected.Count, packed.Count);
            Assert.Equal(expected.OrderBy(h => h.Key, StringComparer.Ordinal), packed.OrderBy(h => h.Key, StringComparer.Ordinal));
            Assert.Null(packed["variable_no_such_variable"]);
        }

        Assert.Equal(1, connectReplies);
    }

    [Fact]
    public void Escapes_stray_percents_CRLF_and_repeated_names_decode_as_FreeSWITCH_sends_them()
    {
        var block = new StringBuilder()
            .Append("Content-Type: command/reply\n")
            .Append("Reply-Text: +OK\r\n")
            .Append("Caller-Caller-ID-Name: Zo%C3%AB%20Smith\n")
            .Append("variable_sip_from_display: A+B\n")
            .Append("variable_discount: 100%\n")
            .Append("variable_odd: %zz%4\n")
            .Append("variable_url: sip%3A1001%40pbx.example.com\n")
            .Append("variable_empty:\n")
            .Append("variable_twice: first\n")
            .Append("variable_twice: second\n");
        // Padding up to the size of a real connect reply.
        for (var i = 0; block.Length <= ChannelDataBytes; i++)
        {
            block.Append("variable_pad_").Append(i).Append(": ").Append('x', 40).Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(block.Append('\n').ToString());

        foreach (var segmentSize in new[] { 0, 5, 64 })
        {
            var buffer = FrameFeeding.Segmented(bytes, segmentSize);
            Assert.True(EslFrameParser.TryCut(ref buffer, EslFrameLimits.Default, out var cut));
            var headers = cut.ToFrame().Headers;

            Assert.Equal("+OK", headers["Reply-Text"]);
            Assert.Equal("Zoë Smith", headers["Caller-Caller-ID-Name"]);
            Assert.Equal("A+B", headers["variable_sip_from_display"]);
            Assert.Equal("100%", headers["variable_discount"]);
            Assert.Equal("%zz%4", headers["variable_odd"]);
            Assert.Equal("sip:1001@pbx.example.com", headers["variable_url"]);
            Assert.Equal(string.Empty, headers["variable_empty"]);
            Assert.Equal("second", headers["variable_twice"]);
            Assert.Equal(new string('x', 40), headers["variable_pad_0"]);
            Assert.Equal(Reference(cut.HeaderLines).Count, headers.Count);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16383)]
    [InlineData(16384)]
    [InlineData(70000)]
    public void A_value_of_any_length_reads_back_whole_and_leaves_its_neighbours_intact(int length)
    {
        // Lengths are stored in 7-bit groups: these sizes sit on either side of one, two and three groups.
        var longValue = string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + i % 26)));
        var longName = "variable_" + new string('n', 130);
        var block = new StringBuilder("Content-Type: command/reply\nReply-Text: +OK\n")
            .Append("variable_before: 1\n")
            .Append("variable_long: ").Append(longValue).Append('\n')
            .Append(longName).Append(": named%20long\n")
            .Append("Zoë-Header: %C3%BC\n");
        for (var i = 0; block.Length <= ChannelDataBytes; i++)
        {
            block.Append("variable_pad_").Append(i).Append(": x\n");
        }
        block.Append("variable_after: 2\n\n");
        var buffer = FrameFeeding.Segmented(Encoding.UTF8.GetBytes(block.ToString()), 0);

        Assert.True(EslFrameParser.TryCut(ref buffer, EslFrameLimits.Default with { MaxHeaderBytes = 1024 * 1024 }, out var cut));
        var headers = cut.ToFrame().Headers;

        Assert.Equal(longValue, headers["variable_long"]);
        Assert.Equal("named long", headers[longName]);
        Assert.Equal("ü", headers["Zoë-Header"]);
        Assert.Equal("1", headers["variable_before"]);
        Assert.Equal("2", headers["variable_after"]);
        Assert.Equal(Reference(cut.HeaderLines), headers.ToDictionary());
    }

    [Fact]
    public void A_line_without_a_colon_in_a_big_block_is_a_protocol_error_before_anything_is_decoded()
    {
        var block = "Content-Type: command/reply\n" + string.Concat(Enumerable.Range(0, 80).Select(i => $"variable_v{i}: value-{i}\n")) + "this line has no colon\n\n";
        Assert.True(block.Length > ChannelDataBytes);

        var error = Assert.Throws<EslProtocolException>(() =>
        {
            var buffer = FrameFeeding.Segmented(Encoding.UTF8.GetBytes(block), 0);
            EslFrameParser.TryCut(ref buffer, EslFrameLimits.Default, out _);
        });
        Assert.Contains("this line has no colon", error.Message);
    }
}
