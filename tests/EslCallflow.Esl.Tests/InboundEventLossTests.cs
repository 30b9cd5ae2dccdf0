using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EslCallflow.Esl.Inbound;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>The reconnecting inbound client loses no event unseen: none before its queue exists, none dropped without a word.</summary>
[Collection(nameof(ReconnectingInboundClientTests))]
public class InboundEventLossTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static EslInboundOptions Options(FakeFreeSwitch fs, int capacity = 100_000) => new()
    {
        Port = fs.Port,
        Password = "ClueCon",
        ReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        EventQueueCapacity = capacity,
    };

    [Fact]
    public async Task An_event_that_follows_the_subscribe_reply_at_once_reaches_the_consumer()
    {
        await using var fs = new FakeFreeSwitch { EventAfterSubscribe = EventTemplates.RingingLegEvent("CHANNEL_CREATE", "right-behind-the-reply") }.Start();
        var client = new EslReconnectingInboundClient(Options(fs), new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]));
        using var stop = new CancellationTokenSource(Timeout);
        var run = client.RunAsync(stop.Token);
        await using var signals = client.ReadSignalsAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        Assert.True(await signals.MoveNextAsync());
        Assert.IsType<EslInboundSignal.Connected>(signals.Current);
        Assert.True(await signals.MoveNextAsync());

        Assert.Equal("right-behind-the-reply", Assert.IsType<EslInboundSignal.Received>(signals.Current).Event.UniqueId);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_consumer_that_falls_behind_is_told_by_a_reconnect_and_the_lost_events_are_counted()
    {
        var dropped = new ConcurrentBag<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EslMetrics.MeterName && instrument.Name == EslMetrics.EventsDroppedName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => dropped.Add(value));
        listener.Start();
        await using var fs = new FakeFreeSwitch().Start();
        var client = new EslReconnectingInboundClient(Options(fs, capacity: 16), new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]));
        using var stop = new CancellationTokenSource(Timeout);
        var run = client.RunAsync(stop.Token);
        await using var signals = client.ReadSignalsAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await signals.MoveNextAsync());
        Assert.IsType<EslInboundSignal.Connected>(signals.Current);

        // The consumer reads nothing while the switch sends more than its queue holds.
        for (var i = 0; i < 40; i++)
        {
            await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", $"leg-{i}"));
        }

        var received = 0;
        EslInboundSignal signal;
        do
        {
            Assert.True(await signals.MoveNextAsync());
            signal = signals.Current;
            received += signal is EslInboundSignal.Received ? 1 : 0;
        }
        while (signal is EslInboundSignal.Received);
        var lost = Assert.IsType<EslInboundSignal.Disconnected>(signal);
        Assert.Contains("event queue full", lost.Reason, StringComparison.Ordinal);
        // The consumer may start draining before the link is closed; what matters is that some were lost and it is told.
        Assert.True(received < 40, $"all {received} events came through a queue of 16");
        Assert.True(await signals.MoveNextAsync());
        Assert.True(Assert.IsType<EslInboundSignal.Connected>(signals.Current).IsReconnect);
        Assert.True(dropped.Sum() >= 1, "no dropped event was counted");
        await stop.CancelAsync();
        await run;
    }
}
