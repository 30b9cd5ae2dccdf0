using EslCallflow.Callflows.Pickup;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;
using EslCallflow.Tracking;

namespace EslCallflow.Tests;

/// <summary>What the channel tracker tells its observer (the cluster store's publisher) of legs ringing on this node.</summary>
public sealed class RingingObserverTests
{
    private const string Caller = "c8d42dfc-9c01-44b1-8f5d-132757598fff";
    private const string RingingLeg = "dd8cdf5d-fbcd-4c4c-9717-2df674ce1175";

    private static IEnumerable<EslEvent> CapturedPickupEvents() =>
        EventTemplates.JsonBodies(Transcript.ReceivedStream("events-pickup-json.txt")).Select(body => DecodedEvents.Json(body));

    private sealed class Recorder : IRingingLegObserver
    {
        public List<string> Told { get; } = [];

        public void Ringing(RingingLeg leg, IReadOnlyList<string> deviceKeys) =>
            Told.Add($"ringing {leg.LegUuid} caller {leg.CallerUuid ?? "-"} on {string.Join(",", deviceKeys)} since {(leg.RingingSince > 0 ? "set" : "unset")}");

        public void Stopped(string legUuid) => Told.Add("stopped " + legUuid);

        public void Replaced(IReadOnlyList<(RingingLeg Leg, IReadOnlyList<string> DeviceKeys)> ringing) =>
            Told.Add("replaced " + string.Join(";", ringing.Select(r => r.Leg.LegUuid + " caller " + r.Leg.CallerUuid + " on " + string.Join(",", r.DeviceKeys))));
    }

    [Fact]
    public void The_captured_pickup_tells_the_ringing_leg_once_with_its_caller_and_then_that_it_stopped()
    {
        var recorder = new Recorder();
        var tracker = new ChannelTracker(TimeProvider.System, recorder);
        foreach (var evt in CapturedPickupEvents())
        {
            tracker.Apply(evt);
        }

        Assert.Equal(
            [$"ringing {RingingLeg} caller {Caller} on sip:1001@127.0.0.1 since set", $"stopped {RingingLeg}"],
            recorder.Told);
    }

    [Fact]
    public void A_rebuild_from_the_switch_tells_everything_that_rings_at_once_and_a_reaped_leg_stops()
    {
        var recorder = new Recorder();
        var time = new ManualTime();
        var tracker = new ChannelTracker(time, recorder);
        tracker.Reset(
        [
            new ChannelSeed(RingingLeg, true, "RINGING", false, 1_000_000, Caller, "1001@127.0.0.1", "dev-1001"),
            new ChannelSeed(Caller, false, "ACTIVE", true, 1_000_000, null, null, null),
        ]);
        Assert.Equal([$"replaced {RingingLeg} caller {Caller} on id:dev-1001,sip:1001@127.0.0.1"], recorder.Told);

        time.Advance(TimeSpan.FromHours(2));
        tracker.Reap(TimeSpan.FromHours(1), TimeSpan.FromHours(12));
        Assert.Equal($"stopped {RingingLeg}", recorder.Told[^1]);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
