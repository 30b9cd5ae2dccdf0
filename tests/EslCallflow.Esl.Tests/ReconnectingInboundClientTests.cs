using System.Globalization;
using Microsoft.Extensions.Logging;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Messages;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// Heartbeat deadlines are timing: these run alone, after the parallel tests, so a thread pool busy with other
/// tests cannot stall a sender past a deadline and fail them for the wrong reason.
/// </summary>
[CollectionDefinition(nameof(ReconnectingInboundClientTests), DisableParallelization = true)]
public sealed class TimingSensitiveCollection;

[Collection(nameof(ReconnectingInboundClientTests))]
public class ReconnectingInboundClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static EslInboundOptions Options(FakeFreeSwitch fs) => new()
    {
        Port = fs.Port,
        Password = "ClueCon",
        ReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task Reconnects_after_the_switch_drops_the_socket_resubscribes_and_says_so()
    {
        await using var fs = new FakeFreeSwitch().Start();
        var client = new EslReconnectingInboundClient(Options(fs), new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]));
        using var stop = new CancellationTokenSource(Timeout);
        var run = client.RunAsync(stop.Token);
        await using var signals = client.ReadSignalsAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        var first = Connected(await Next(signals));
        Assert.False(first.IsReconnect);
        await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "before-drop"));
        Assert.Equal("before-drop", Received(await Next(signals)).UniqueId);

        fs.DropConnections();

        var lost = Lost(await Next(signals));
        Assert.Equal(1, lost.Generation);
        var again = Connected(await Next(signals));
        Assert.True(again.IsReconnect);
        Assert.Equal(2, again.Generation);
        Assert.Equal(2, fs.SubscriptionCount);
        Assert.Equal(2, fs.Commands.Count(c => c == "event json CHANNEL_CREATE HEARTBEAT"));
        await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "after-drop"));
        var after = await Next(signals);
        Assert.Equal("after-drop", after.Event?.UniqueId);
        Assert.Equal(2, after.Generation);
        Assert.Equal(1, client.ReconnectCount);

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Keeps_retrying_while_the_switch_is_down_and_connects_when_it_returns()
    {
        var probe = new FakeFreeSwitch().Start();
        var port = probe.Port;
        await probe.DisposeAsync();
        var options = new EslInboundOptions { Port = port, Password = "ClueCon", ReconnectDelay = TimeSpan.FromMilliseconds(20), MaxReconnectDelay = TimeSpan.FromMilliseconds(100) };
        var client = new EslReconnectingInboundClient(options, new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]));
        using var stop = new CancellationTokenSource(Timeout);
        var run = client.RunAsync(stop.Token);
        await Task.Delay(400);
        Assert.False(client.IsConnected);

        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start();
        var accepted = await listener.AcceptSocketAsync(stop.Token);
        Assert.True(accepted.Connected);
        listener.Stop();
        accepted.Dispose();

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Heartbeat_silence_marks_the_link_dead_and_reconnects()
    {
        await using var fs = new FakeFreeSwitch().Start();
        var client = HeartbeatWatchingClient(fs, TimeSpan.FromMilliseconds(300));
        using var stop = new CancellationTokenSource(Timeout);
        var run = client.RunAsync(stop.Token);
        await using var signals = client.ReadSignalsAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        Connected(await Next(signals));
        var lost = Lost(await Next(signals));

        Assert.Contains("HEARTBEAT missing", lost.Disconnected);
        Assert.True(Connected(await Next(signals)).IsReconnect);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_link_with_steady_traffic_stays_up_well_past_the_heartbeat_timeout_then_silence_drops_it()
    {
        // The idle deadline is re-armed on every read: traffic must keep pushing it back, twice over.
        // (A 2 s deadline for 100 ms spacing: a test host's thread pool can stall a sender for half a second.)
        const int Events = 40;
        await using var fs = new FakeFreeSwitch().Start();
        var client = HeartbeatWatchingClient(fs, TimeSpan.FromSeconds(2));
        using var stop = new CancellationTokenSource(Timeout);
        var run = client.RunAsync(stop.Token);
        await using var signals = client.ReadSignalsAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        Connected(await Next(signals));
        var silentSince = DateTime.MinValue;

        var traffic = Task.Run(async () =>
        {
            for (var i = 0; i < Events; i++)
            {
                await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", $"leg-{i}"));
                silentSince = DateTime.UtcNow;
                await Task.Delay(100);
            }
        });
        var received = 0;
        EslInboundSignal signal;
        while ((signal = await Next(signals)).Event is not null)
        {
            received++;
        }
        await traffic;

        var lost = Lost(signal);
        Assert.Equal(Events, received);
        Assert.Contains("HEARTBEAT missing", lost.Disconnected);
        Assert.True(DateTime.UtcNow - silentSince >= TimeSpan.FromSeconds(1), "dropped before the link fell silent");
        await stop.CancelAsync();
        await run;
    }

    /// <summary>A client subscribed to CHANNEL_CREATE that declares the link dead after <paramref name="heartbeatTimeout"/> of silence.</summary>
    private static EslReconnectingInboundClient HeartbeatWatchingClient(FakeFreeSwitch fs, TimeSpan heartbeatTimeout)
    {
        var options = Options(fs);
        options.HeartbeatTimeout = heartbeatTimeout;
        return new EslReconnectingInboundClient(options, new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]));
    }

    [Fact]
    public async Task A_consumer_that_falls_behind_is_told_by_a_log_line_a_count_and_a_reconnect_it_resyncs_on()
    {
        await using var fs = new FakeFreeSwitch().Start();
        var logs = new LogCapture();
        using var metrics = new MeasurementRecorder();
        var options = Options(fs);
        options.EventQueueCapacity = 16;
        var client = new EslReconnectingInboundClient(options, new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]), logs);
        using var stop = new CancellationTokenSource(Timeout);
        var run = client.RunAsync(stop.Token);
        await using var signals = client.ReadSignalsAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        Connected(await Next(signals));
        // Heard although published right after connecting: the queue existed before 'event' was sent.
        await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "first"));
        Assert.Equal("first", Received(await Next(signals)).UniqueId);

        // Not read while they arrive, until the hand-off to the signal reader and the queue of 16 overflow. The burst
        // stops there: events published after the link is back would queue behind the unread ones and overflow again.
        for (var i = 0; i < 2000 && !logs.Entries.Any(e => e.EventId.Id == 1104); i++)
        {
            await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "leg-" + i));
        }

        var received = new List<string>();
        EslInboundSignal signal;
        while ((signal = await Next(signals)).Event is { } evt)
        {
            received.Add(evt.UniqueId!);
        }
        var lost = Lost(signal);
        Assert.Contains("event queue overflow", lost.Disconnected, StringComparison.Ordinal);
        // What did arrive came in order, with the gap the overflow made (the oldest waiting were dropped); the rest
        // never arrived on this link.
        var numbers = received.Select(id => int.Parse(id["leg-".Length..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
        Assert.True(numbers.Count >= 16, $"at least the queue's 16 were delivered, not {numbers.Count}");
        Assert.False(numbers.SequenceEqual(Enumerable.Range(0, numbers.Count)), "the overflow left a gap");
        var again = Connected(await Next(signals));
        Assert.True(again.IsReconnect);
        Assert.Equal(2, fs.Commands.Count(c => c == "event json CHANNEL_CREATE HEARTBEAT"));
        var line = Assert.Single(logs.Entries, e => e.EventId.Id == 1104);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.True(metrics.Count(EslMetrics.EventsDroppedName, "consumer_behind") >= 1);

        await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "after-resync"));
        // The burst may have published one or two more before it saw the log line, onto the new link: they come first.
        string? next;
        while ((next = Received(await Next(signals)).UniqueId) != "after-resync")
        {
            Assert.StartsWith("leg-", next, StringComparison.Ordinal);
        }
        await stop.CancelAsync();
        await run;
    }

    private static EslInboundSignal Connected(EslInboundSignal signal)
    {
        Assert.True(signal.Connected is not null, $"expected a link made, got {signal}");
        return signal;
    }

    private static EslEvent Received(EslInboundSignal signal) => signal.Event ?? throw new Xunit.Sdk.XunitException($"expected an event, got {signal}");

    private static EslInboundSignal Lost(EslInboundSignal signal)
    {
        Assert.True(signal.Disconnected is not null, $"expected the link lost, got {signal}");
        return signal;
    }

    private static async Task<EslInboundSignal> Next(IAsyncEnumerator<EslInboundSignal> signals)
    {
        Assert.True(await signals.MoveNextAsync().AsTask().WaitAsync(Timeout));
        return signals.Current;
    }
}
