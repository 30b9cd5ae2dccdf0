using EslCallflow.Callflows.Pickup;
using EslCallflow.Esl.Messages;
using EslCallflow.Testing;
using EslCallflow.Tracking;

namespace EslCallflow.Tests;

public class ChannelTrackerTests
{
    private const string Caller = "c8d42dfc-9c01-44b1-8f5d-132757598fff";
    private const string RingingLeg = "dd8cdf5d-fbcd-4c4c-9717-2df674ce1175";
    private const string Picker = "c9d43ae5-6dea-4bb7-9a2d-b83132589e2f";
    private static readonly string[] Phone1001 = [DeviceKey.ForSip("1001", "127.0.0.1")];

    private static IEnumerable<EslEvent> CapturedPickupEvents() =>
        EventTemplates.JsonBodies(Transcript.ReceivedStream("events-pickup-json.txt")).Select(body => DecodedEvents.Json(body));

    private static EslEvent Event(Dictionary<string, string> fields) => new(fields);

    [Fact]
    public void The_captured_pickup_shows_1001_ringing_with_its_caller_then_leaving_with_picked_off()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        var ringingSeen = new List<RingingLeg>();
        string? goneWith = null;

        foreach (var evt in CapturedPickupEvents())
        {
            var wasRinging = tracker.RingingOn(Phone1001).Count > 0;
            tracker.Apply(evt);
            var now = tracker.RingingOn(Phone1001);
            ringingSeen.AddRange(now);
            if (wasRinging && now.Count == 0)
            {
                goneWith = evt.HangupCause;
            }
        }

        var leg = ringingSeen.First();
        Assert.Equal((RingingLeg, Caller, "1001@127.0.0.1"), (leg.LegUuid, leg.CallerUuid, leg.SipIdentity));
        Assert.All(ringingSeen, l => Assert.Equal(RingingLeg, l.LegUuid));
        Assert.Equal("PICKED_OFF", goneWith);
        Assert.Equal(0, tracker.Count);
    }

    [Fact]
    public async Task The_device_of_a_leg_is_told_when_the_feed_shows_it_and_still_known_after_the_leg_is_gone()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        // Asked before the feed has shown the leg at all (the call's own socket named it first).
        var known = tracker.DeviceKnownAsync(RingingLeg, timeout.Token);
        Assert.False(known.IsCompleted);

        foreach (var evt in CapturedPickupEvents())
        {
            tracker.Apply(evt);
        }

        Assert.Equal("1001@127.0.0.1", await known);
        Assert.Null(tracker.Find(RingingLeg));
        Assert.Equal("1001@127.0.0.1", tracker.KnownDevice(RingingLeg));
        Assert.Equal("1001@127.0.0.1", await tracker.DeviceKnownAsync(RingingLeg, timeout.Token));
        Assert.Null(tracker.KnownDevice(Guid.NewGuid().ToString()));
    }

    [Fact]
    public void The_leg_counts_as_ringing_only_once_the_phone_sends_180()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        foreach (var evt in CapturedPickupEvents())
        {
            tracker.Apply(evt);
            if (evt.UniqueId == RingingLeg && evt.EventName is "CHANNEL_CREATE" or "CHANNEL_PROGRESS")
            {
                Assert.False(tracker.IsRinging(RingingLeg), evt.EventName);
            }
            if (evt.UniqueId == RingingLeg && evt.EventName == "CHANNEL_CALLSTATE" && evt.ChannelCallState == "RINGING")
            {
                Assert.True(tracker.IsRinging(RingingLeg));
                Assert.Empty(tracker.RingingOn([DeviceKey.ForSip("1005", "127.0.0.1"), DeviceKey.ForSip("1006", "127.0.0.1")]));
                return;
            }
        }
        Assert.Fail("the capture never put the leg in RINGING");
    }

    [Fact]
    public void A_rebuild_from_the_captured_channel_list_finds_the_ringing_leg_and_its_caller()
    {
        var text = File.ReadAllText(Transcript.PathOf("outbound-pickup-json.txt"));
        var start = text.IndexOf("### show channels as json at pickup time:\n", StringComparison.Ordinal);
        var end = text.IndexOf("### ringing candidates", StringComparison.Ordinal);
        var json = text[(text.IndexOf('\n', start) + 1)..end];
        var tracker = new ChannelTracker(TimeProvider.System);

        tracker.Reset(ChannelSnapshot.Parse(json));

        Assert.Equal(3, tracker.Count);
        var leg = Assert.Single(tracker.RingingOn(Phone1001));
        Assert.Equal((RingingLeg, Caller, 1795421035L * 1_000_000), (leg.LegUuid, leg.CallerUuid, leg.RingingSince));
        Assert.False(tracker.IsRinging(Picker));
    }

    [Theory]
    [InlineData("{\"row_count\": 0}\n", 0)]
    [InlineData("{\"row_count\": 1, \"rows\": [ { \"direction\": \"outbound\" } ]}", 0)]
    public void An_empty_or_partial_channel_list_is_read_without_error(string reply, int expected)
    {
        Assert.Equal(expected, ChannelSnapshot.Parse(reply).Count);
    }

    [Fact]
    public void A_reply_that_is_not_json_is_a_clear_error()
    {
        var error = Assert.Throws<FormatException>(() => ChannelSnapshot.Parse("-ERR no reply\n"));

        Assert.Equal("'show channels as json' did not return JSON: -ERR no reply", error.Message);
    }

    [Fact]
    public void The_headers_the_feed_keeps_are_all_the_tracker_needs()
    {
        // The inbound feed decodes only ChannelTracker.HeadersRead: a header Apply reads but the list misses
        // would silently read as absent. Two trackers, one fed whole events and one fed only those headers,
        // must agree after every event.
        var synthetic = new[]
        {
            EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", "leg-dev", new Dictionary<string, string>
            {
                ["Channel-Call-State"] = "EARLY", ["variable_eslcallflow_device_id"] = "dev1001", ["Other-Leg-Unique-ID"] = "caller-1",
            }),
            EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", "leg-dialled", new Dictionary<string, string>
            {
                ["Channel-Call-State"] = "RINGING", ["variable_presence_id"] = "", ["Channel-Presence-ID"] = "",
                ["variable_dialed_user"] = "1003", ["variable_dialed_domain"] = "pbx.example.com",
            }),
            EventTemplates.RingingLegEvent("CHANNEL_ANSWER", "leg-dialled", new Dictionary<string, string> { ["Answer-State"] = "answered" }),
        }.Select(Event);
        var events = CapturedPickupEvents()
            .Concat(EventTemplates.JsonBodies(Transcript.ReceivedStream("inbound-json.txt")).Select(body => DecodedEvents.Json(body)))
            .Concat(synthetic)
            .ToList();
        var whole = new ChannelTracker(TimeProvider.System);
        var kept = new ChannelTracker(TimeProvider.System);
        var uuids = new HashSet<string>();

        foreach (var evt in events)
        {
            whole.Apply(evt);
            kept.Apply(new EslEvent(evt.Where(h => ChannelTracker.HeadersRead.Contains(h.Key))));
            uuids.Add(evt.UniqueId ?? string.Empty);

            Assert.Equal(whole.Count, kept.Count);
            Assert.Equal(whole.Ringing(), kept.Ringing());
            Assert.All(uuids, uuid => Assert.Equal(whole.Find(uuid), kept.Find(uuid)));
        }
        Assert.Contains(whole.Ringing(), c => c.DeviceId == "dev1001");
        Assert.NotNull(whole.Find("leg-dialled")?.SipIdentity);
    }

    [Fact]
    public void Our_device_variable_files_the_leg_under_the_device_id_as_well()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        tracker.Apply(Event(EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", "leg-1", new Dictionary<string, string>
        {
            ["Channel-Call-State"] = "EARLY",
            ["variable_eslcallflow_device_id"] = "dev1001",
            ["Other-Leg-Unique-ID"] = "caller-1",
        })));

        Assert.Equal("dev1001", Assert.Single(tracker.RingingOn([DeviceKey.ForId("dev1001")])).DeviceId);
        Assert.Single(tracker.RingingOn([DeviceKey.ForId("dev1001"), .. Phone1001]));
    }

    [Fact]
    public void Answered_legs_and_late_events_of_ended_channels_are_not_ringing()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        tracker.Apply(Event(EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", "leg-1", new Dictionary<string, string> { ["Channel-Call-State"] = "RINGING" })));
        tracker.Apply(Event(EventTemplates.RingingLegEvent("CHANNEL_ANSWER", "leg-1", new Dictionary<string, string> { ["Channel-Call-State"] = "RINGING", ["Answer-State"] = "answered" })));
        tracker.Apply(Event(EventTemplates.RingingLegEvent("CHANNEL_HANGUP", "leg-2", new Dictionary<string, string> { ["Answer-State"] = "hangup" })));

        Assert.Empty(tracker.RingingOn(Phone1001));
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void Memory_stays_bounded_destroyed_channels_go_and_silent_ones_are_reaped()
    {
        var time = new ManualTime();
        var tracker = new ChannelTracker(time);
        for (var i = 0; i < 10_000; i++)
        {
            tracker.Apply(Event(EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", $"leg-{i}", new Dictionary<string, string> { ["Channel-Call-State"] = "RINGING" })));
            tracker.Apply(Event(EventTemplates.RingingLegEvent("CHANNEL_DESTROY", $"leg-{i}")));
        }
        Assert.Equal(0, tracker.Count);

        tracker.Apply(Event(EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", "lost-ringing", new Dictionary<string, string> { ["Channel-Call-State"] = "RINGING" })));
        tracker.Apply(Event(EventTemplates.CallerEvent("CHANNEL_ANSWER", "lost-answered", new Dictionary<string, string> { ["Answer-State"] = "answered" })));
        time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(1, tracker.Reap(TimeSpan.FromHours(1), TimeSpan.FromHours(12)));
        Assert.Empty(tracker.RingingOn(Phone1001));
        time.Advance(TimeSpan.FromHours(12));
        Assert.Equal(1, tracker.Reap(TimeSpan.FromHours(1), TimeSpan.FromHours(12)));
        Assert.Equal(0, tracker.Count);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
