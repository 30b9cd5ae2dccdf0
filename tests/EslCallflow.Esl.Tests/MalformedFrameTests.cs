using System.Buffers;
using System.Text;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

public class MalformedFrameTests
{
    public static TheoryData<string, string> BadFrames => new()
    {
        { "Content-Type: api/response\nContent-Length: abc\n\n", "invalid Content-Length 'abc'" },
        { "Content-Type: api/response\nContent-Length: -5\n\n", "invalid Content-Length '-5'" },
        { "Content-Type: api/response\nContent-Length: 999999999\n\n", "Content-Length 999999999 exceeds the limit of 1048576 bytes" },
        { "Content-Type: text/surprise\n\n", "unknown Content-Type 'text/surprise'" },
        { "Reply-Text: +OK\n\n", "frame without a Content-Type header" },
        { "Content-Type command/reply\n\n", "malformed header line 'Content-Type command/reply'" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public void Bad_frames_raise_a_protocol_error_naming_the_problem(string wire, string expected)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(wire));
        var limits = new EslFrameLimits { MaxBodyBytes = 1024 * 1024 };

        var error = Assert.Throws<EslProtocolException>(() => EslFrameParser.TryParse(ref buffer, limits, out _));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Header_block_without_a_blank_line_is_bounded()
    {
        var limits = new EslFrameLimits { MaxHeaderBytes = 1024 };
        var endless = new StringBuilder("Content-Type: command/reply\n");
        while (endless.Length < 2048)
        {
            endless.Append("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
        }
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(endless.ToString()));

        var error = Assert.Throws<EslProtocolException>(() => EslFrameParser.TryParse(ref buffer, limits, out _));

        Assert.Equal("header block exceeds 1024 bytes without a blank line", error.Message);
    }

    [Fact]
    public void A_single_endless_header_line_is_bounded_too()
    {
        var limits = new EslFrameLimits { MaxHeaderBytes = 1024 };
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes("Content-Type: " + new string('a', 4096)));

        Assert.Throws<EslProtocolException>(() => EslFrameParser.TryParse(ref buffer, limits, out _));
    }

    [Fact]
    public void Incomplete_frames_wait_for_more_bytes_instead_of_failing()
    {
        var buffer = new ReadOnlySequence<byte>("Content-Type: api/response\nContent-Length: 10\n\n12345"u8.ToArray());

        Assert.False(EslFrameParser.TryParse(ref buffer, EslFrameLimits.Default, out var frame));
        Assert.Null(frame);
    }

    [Theory]
    [InlineData("{\"Event-Name\": \"CHANNEL_CREATE\"", "invalid json event")]
    [InlineData("[1,2]", "json event is not an object")]
    [InlineData("not json", "invalid json event")]
    public void Invalid_json_events_raise_a_protocol_error(string json, string expectedStart)
    {
        var error = Assert.Throws<EslProtocolException>(() => DecodedEvents.Json(Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith(expectedStart, error.Message);
    }

    [Fact]
    public void Plain_event_whose_body_length_overruns_is_rejected()
    {
        var error = Assert.Throws<EslProtocolException>(() => DecodedEvents.Plain("Event-Name: BACKGROUND_JOB\nContent-Length: 50\n\nshort"u8));
        Assert.Contains("does not fit", error.Message);
    }

    [Theory]
    [InlineData("Content-Type: text/surprise\n\n", "unknown Content-Type")]
    [InlineData("Content-Type: api/response\nContent-Length: -1\n\n", "invalid Content-Length")]
    [InlineData("Content-Length: 8\nContent-Type: text/event-json\n\n{broken}", "invalid json event")]
    [InlineData("Content-Type: api/response\nContent-Length: 2\n\nno one asked", "ApiResponse received with no command waiting")]
    public async Task A_live_connection_closes_with_the_protocol_error_and_fails_pending_work(string garbage, string expected)
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["ALL"]));
        var reading = client.ReadEventsAsync().ToListAsync().AsTask();

        await fs.SendRawAsync(Encoding.UTF8.GetBytes(garbage));

        var reason = await client.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        var protocolError = Assert.IsType<EslProtocolException>(reason);
        Assert.Contains(expected, protocolError.Message);
        Assert.Empty(await reading.WaitAsync(TimeSpan.FromSeconds(5)));
        var failure = await Assert.ThrowsAsync<EslConnectionClosedException>(() => client.ApiAsync("status"));
        Assert.Same(protocolError, failure.InnerException);
    }

    [Fact]
    public async Task Peer_closing_mid_frame_is_reported_as_a_truncated_frame()
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });

        await fs.SendRawAsync("Content-Type: api/response\nContent-Length: 100\n\nonly part"u8.ToArray());
        await Task.Delay(50);
        fs.DropConnections();

        var reason = await client.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("in the middle of a frame", reason.Message);
    }
}
