using System.Text;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;
using FsCheck;
using FsCheck.Xunit;

namespace EslCallflow.Esl.Tests;

public class TranscriptParsingTests
{
    public static TheoryData<string> Files => new()
    {
        "inbound-json.txt", "inbound-plain.txt", "outbound-basic-json.txt", "outbound-bridge-fail-plain.txt",
        "events-pickup-json.txt", "outbound-pickup-json.txt",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_capture_frames_completely_and_every_event_decodes(string file)
    {
        var frames = FrameFeeding.ParseWhole(Transcript.ReceivedStream(file));

        Assert.NotEmpty(frames);
        foreach (var frame in frames.Where(f => EslEventDecoder.IsEvent(f.ContentType)))
        {
            var evt = EslEventDecoder.Decode(frame);
            Assert.False(string.IsNullOrEmpty(evt.EventName), $"event without Event-Name in {file}");
        }
    }

    [Property(MaxTest = 25)]
    public Task Inbound_json_any_split_gives_the_same_frames(NonEmptyArray<PositiveInt> sizes) => SameFramesForSplitAsync("inbound-json.txt", sizes);

    [Property(MaxTest = 25)]
    public Task Inbound_plain_any_split_gives_the_same_frames(NonEmptyArray<PositiveInt> sizes) => SameFramesForSplitAsync("inbound-plain.txt", sizes);

    [Property(MaxTest = 25)]
    public Task Outbound_basic_any_split_gives_the_same_frames(NonEmptyArray<PositiveInt> sizes) => SameFramesForSplitAsync("outbound-basic-json.txt", sizes);

    [Property(MaxTest = 25)]
    public Task Outbound_bridge_fail_any_split_gives_the_same_frames(NonEmptyArray<PositiveInt> sizes) => SameFramesForSplitAsync("outbound-bridge-fail-plain.txt", sizes);

    [Property(MaxTest = 25)]
    public Task Pickup_event_stream_any_split_gives_the_same_frames(NonEmptyArray<PositiveInt> sizes) => SameFramesForSplitAsync("events-pickup-json.txt", sizes);

    [Property(MaxTest = 25)]
    public Task Outbound_pickup_any_split_gives_the_same_frames(NonEmptyArray<PositiveInt> sizes) => SameFramesForSplitAsync("outbound-pickup-json.txt", sizes);

    [Fact]
    public async Task Byte_by_byte_feeding_gives_the_same_frames_as_the_recorded_reads()
    {
        var stream = Transcript.ReceivedStream("outbound-bridge-fail-plain.txt");
        var recorded = Transcript.Load("outbound-bridge-fail-plain.txt").Where(c => c.Direction == TranscriptDirection.Received).Select(c => c.Bytes.Length).ToArray();

        var asRecorded = await FrameFeeding.ParseAsync(stream, recorded);
        var byteByByte = await FrameFeeding.ParseAsync(stream, [1]);

        Assert.Equal(asRecorded.Select(FrameFeeding.Describe), byteByByte.Select(FrameFeeding.Describe));
    }

    [Fact]
    public void Connect_reply_is_a_command_reply_carrying_the_channel_data()
    {
        var connect = FrameFeeding.ParseWhole(Transcript.ReceivedStream("outbound-basic-json.txt"))[0];

        Assert.Equal(EslContentType.CommandReply, connect.ContentType);
        Assert.True(connect.IsOk);
        Assert.Equal("+OK", connect.ReplyText);
        var channel = new EslEvent(connect.Headers);
        Assert.Equal("RINGING", channel.ChannelCallState);
        Assert.Equal("387fb750-d800-4200-8903-27bded4c0209", channel.UniqueId);
        Assert.Equal("8000", channel["Caller-Destination-Number"]);
        Assert.Equal("127.0.0.1:8084 async full", channel.GetVariable("current_application_data"));
        Assert.Equal("fd00::2", channel["FreeSWITCH-IPv6"]);
        Assert.Equal("async", connect.Headers["Socket-Mode"]);
    }

    [Fact]
    public void Pickup_trace_shows_the_ringing_leg_of_1001_leaving_with_picked_off()
    {
        var events = FrameFeeding.ParseWhole(Transcript.ReceivedStream("events-pickup-json.txt"))
            .Where(f => f.ContentType == EslContentType.EventJson)
            .Select(EslEventDecoder.Decode)
            .ToList();

        var ringing = events.First(e => e.EventName == "CHANNEL_CREATE" && e.GetVariable("presence_id") == "1001@127.0.0.1");
        Assert.Equal("outbound", ringing.CallDirection);
        Assert.Equal("c8d42dfc-9c01-44b1-8f5d-132757598fff", ringing.OtherLegUniqueId);
        var hangup = events.Single(e => e.EventName == "CHANNEL_HANGUP" && e.UniqueId == ringing.UniqueId);
        Assert.Equal("PICKED_OFF", hangup.HangupCause);
        Assert.Equal("RINGING", hangup.ChannelCallState);
    }

    [Fact]
    public void Plain_background_job_carries_its_result_as_the_event_body()
    {
        var jobs = FrameFeeding.ParseWhole(Transcript.ReceivedStream("inbound-plain.txt"))
            .Where(f => f.ContentType == EslContentType.EventPlain)
            .Select(EslEventDecoder.Decode)
            .Where(e => e.EventName == "BACKGROUND_JOB")
            .ToList();

        Assert.Equal(2, jobs.Count);
        Assert.Equal("e68eee5e-cfc0-45e0-a9ce-ba57d7801f5d", jobs[0].JobUuid);
        Assert.Equal("-ERR NORMAL_CLEARING\n", jobs[0].Body);
        Assert.Equal("{origination_caller_id_number=1005,origination_uuid=11111111-2222-3333-4444-555555555555}loopback/park/default &park()", jobs[0]["Job-Command-Arg"]);
        Assert.Equal("-ERR NO_ROUTE_DESTINATION\n", jobs[1].Body);
    }

    [Fact]
    public void Json_background_job_body_comes_from_the_body_field()
    {
        var job = FrameFeeding.ParseWhole(Transcript.ReceivedStream("inbound-json.txt"))
            .Where(f => f.ContentType == EslContentType.EventJson)
            .Select(EslEventDecoder.Decode)
            .First(e => e.EventName == "BACKGROUND_JOB");

        Assert.NotNull(job.JobUuid);
        Assert.StartsWith("-ERR", job.Body);
        Assert.False(job.ContainsKey("_body"));
    }

    [Fact]
    public void Api_error_and_api_bodies_are_read_by_content_length()
    {
        var frames = FrameFeeding.ParseWhole(Transcript.ReceivedStream("inbound-json.txt"));
        var api = frames.Where(f => f.ContentType == EslContentType.ApiResponse).ToList();

        Assert.StartsWith("UP 0 years", api[0].BodyText);
        Assert.Equal("{\"row_count\": 0}\n", api[1].BodyText);
        Assert.Equal("-ERR no_such_command Command not found!\n", api[2].BodyText);
        Assert.False(api[2].IsOk);
    }

    [Fact]
    public void Failed_bridge_completion_matches_its_event_uuid_and_carries_the_failure()
    {
        var complete = FrameFeeding.ParseWhole(Transcript.ReceivedStream("outbound-bridge-fail-plain.txt"))
            .Where(f => f.ContentType == EslContentType.EventPlain)
            .Select(EslEventDecoder.Decode)
            .Single(e => e.EventName == "CHANNEL_EXECUTE_COMPLETE" && e.Application == "bridge");

        Assert.Equal("bbbbbbbb-0000-0000-0000-000000000001", complete.ApplicationUuid);
        Assert.Equal("SUBSCRIBER_ABSENT", complete.GetVariable("originate_failed_cause"));
        Assert.Equal("{ignore_early_media=true,fail_on_single_reject=true}[leg_timeout=2]user/1009@127.0.0.1,[leg_delay_start=1,leg_timeout=2]error/USER_BUSY", complete["Application-Data"]);
    }

    [Fact]
    public void Disconnect_notices_are_recognised_with_their_disposition()
    {
        var notices = FrameFeeding.ParseWhole(Transcript.ReceivedStream("outbound-bridge-fail-plain.txt"))
            .Where(f => f.ContentType == EslContentType.DisconnectNotice)
            .ToList();

        Assert.Equal(["linger", "disconnect"], notices.Select(n => n.Headers["Content-Disposition"]));
        Assert.StartsWith("Disconnected, goodbye.", notices[1].BodyText);
    }

    [Fact]
    public async Task Multibyte_utf8_is_counted_in_bytes_and_survives_every_split_point()
    {
        var evt = EslWire.JsonEvent(new Dictionary<string, string> { ["Event-Name"] = "CUSTOM", ["Caller-Caller-ID-Name"] = "Zoë 日本語 🎧" });
        var stream = evt.Concat(EslWire.ApiResponse("ü+OK")).ToArray();

        for (var split = 1; split < stream.Length; split++)
        {
            var frames = await FrameFeeding.ParseAsync(stream, [split, stream.Length]);
            Assert.Equal(2, frames.Count);
            Assert.Equal("Zoë 日本語 🎧", EslEventDecoder.Decode(frames[0])["Caller-Caller-ID-Name"]);
            Assert.Equal("ü+OK", frames[1].BodyText);
        }
    }

    [Fact]
    public void Xml_events_are_recognised_and_decoded()
    {
        const string xml = "<event><headers><Event-Name>CHANNEL_CREATE</Event-Name><Unique-ID>abc</Unique-ID></headers><body>hi</body></event>";
        var bytes = Encoding.UTF8.GetBytes($"Content-Length: {Encoding.UTF8.GetByteCount(xml)}\nContent-Type: text/event-xml\n\n{xml}");

        var frame = Assert.Single(FrameFeeding.ParseWhole(bytes));
        var evt = EslEventDecoder.Decode(frame);

        Assert.Equal("CHANNEL_CREATE", evt.EventName);
        Assert.Equal("abc", evt.UniqueId);
        Assert.Equal("hi", evt.Body);
    }

    private static async Task SameFramesForSplitAsync(string file, NonEmptyArray<PositiveInt> sizes)
    {
        var stream = Transcript.ReceivedStream(file);
        var whole = FrameFeeding.ParseWhole(stream).Select(FrameFeeding.Describe).ToList();
        var split = await FrameFeeding.ParseAsync(stream, sizes.Get.Select(s => s.Get % 4096 + 1).ToArray());
        Assert.Equal(whole, split.Select(FrameFeeding.Describe));
    }
}
