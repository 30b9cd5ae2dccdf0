using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;
using EslCallflow.Tracking;

namespace EslCallflow.Tests;

/// <summary>The tracker's watches for calls without a socket: a channel joined on either side of a bridge, and its end.</summary>
public class ChannelWatchTests
{
    private const string Caller = "c8d42dfc-9c01-44b1-8f5d-132757598fff";
    private const string Picker = "c9d43ae5-6dea-4bb7-9a2d-b83132589e2f";

    private static IEnumerable<EslEvent> CapturedPickupEvents() =>
        EventTemplates.JsonBodies(Transcript.ReceivedStream("events-pickup-json.txt")).Select(body => DecodedEvents.Json(body));

    /// <summary>As the daemon's feed decodes events: only the headers the tracker reads.</summary>
    private static EslEvent AsFed(EslEvent evt) => new(evt.Where(h => ChannelTracker.HeadersRead.Contains(h.Key)));

    [Fact]
    public async Task After_a_real_pickup_the_caller_is_seen_joined_to_the_picker_though_only_the_picker_gets_channel_bridge()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        var callerJoined = tracker.JoinedAsync(Caller, CancellationToken.None);
        var pickerJoined = tracker.JoinedAsync(Picker, CancellationToken.None);
        var callerEnded = tracker.HungUpAsync(Caller, CancellationToken.None);

        foreach (var evt in CapturedPickupEvents())
        {
            tracker.Apply(AsFed(evt));
        }

        Assert.Equal(Picker, await callerJoined.WaitAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal(Caller, await pickerJoined.WaitAsync(TimeSpan.FromSeconds(1)));
        // The caller's phone sent the BYE (the capture's 1005 hung up), while joined to the picker.
        var end = await callerEnded.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(new ChannelHangup("NORMAL_CLEARING", "recv_bye", "NORMAL_CLEARING", true) { OtherLeg = Picker }, end);
        Assert.True(end.ByItsPhone);
    }

    [Fact]
    public async Task A_leg_ended_by_the_other_side_is_seen_unbridged_before_it_hung_up()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        var ended = tracker.HungUpAsync("a", CancellationToken.None);
        var joined = tracker.JoinedAsync("a", CancellationToken.None);

        tracker.Apply(Event("CHANNEL_CREATE", "a"));
        tracker.Apply(Event("CHANNEL_BRIDGE", "a", ("Other-Leg-Unique-ID", "b")));
        tracker.Apply(Event("CHANNEL_UNBRIDGE", "a", ("Other-Leg-Unique-ID", "b")));
        tracker.Apply(Event("CHANNEL_HANGUP", "a", ("Hangup-Cause", "NORMAL_CLEARING")));
        tracker.Apply(Event("CHANNEL_HANGUP_COMPLETE", "a", ("Hangup-Cause", "NORMAL_CLEARING"), ("variable_last_bridge_hangup_cause", "NORMAL_CLEARING")));

        Assert.Equal("b", await joined.WaitAsync(TimeSpan.FromSeconds(1)));
        var end = await ended.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(new ChannelHangup("NORMAL_CLEARING", null, "NORMAL_CLEARING", false) { OtherLeg = "b" }, end);
        Assert.False(end.ByItsPhone);
    }

    [Fact]
    public async Task A_watch_cancelled_is_forgotten_and_a_new_one_replaces_the_last()
    {
        var tracker = new ChannelTracker(TimeProvider.System);
        using var cancel = new CancellationTokenSource();
        var first = tracker.JoinedAsync("a", CancellationToken.None);
        var second = tracker.JoinedAsync("a", cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        var third = tracker.JoinedAsync("a", CancellationToken.None);
        tracker.Apply(Event("CHANNEL_BRIDGE", "a", ("Other-Leg-Unique-ID", "b")));
        Assert.Equal("b", await third.WaitAsync(TimeSpan.FromSeconds(1)));
    }

    private static EslEvent Event(string name, string uuid, params (string Name, string Value)[] fields) =>
        new([new("Event-Name", name), new("Unique-ID", uuid), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);
}
