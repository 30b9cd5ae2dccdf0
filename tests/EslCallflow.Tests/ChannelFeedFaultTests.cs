using System.Text;
using Microsoft.Extensions.DependencyInjection;
using EslCallflow.Hosting;
using EslCallflow.Testing;
using EslCallflow.Tracking;

namespace EslCallflow.Tests;

/// <summary>Odd input on the channel feed is contained where it arrives: that row or that event is left out, logged, and the feed goes on.</summary>
public class ChannelFeedFaultTests
{
    private const string ChannelList = """
        {"row_count": 4, "rows": [
          42,
          {"uuid": "leg-1", "direction": "inbound", "callstate": "ACTIVE", "created_epoch": "1795421035"},
          "not a channel",
          {"uuid": "leg-2", "direction": "inbound", "callstate": "ACTIVE", "presence_id": "\ud800"}
        ]}
        """;

    [Fact]
    public void Rows_that_are_not_channel_objects_are_left_out_and_counted()
    {
        var seeds = ChannelSnapshot.Parse(ChannelList, out var skipped);

        Assert.Equal(["leg-1"], seeds.Select(s => s.Uuid));
        Assert.Equal(3, skipped);
    }

    [Fact]
    public async Task A_channel_list_with_rows_that_are_not_channels_rebuilds_the_rest_and_the_feed_comes_up()
    {
        var freeSwitch = new FakeFreeSwitch("test-secret")
        {
            Api = command => command == "show channels as json" ? ChannelList + "\n" : FakeFreeSwitch.DefaultApi(command),
        };

        await using var daemon = await RunningDaemon.StartWithAsync(freeSwitch, null);

        Assert.Equal(1, daemon.Tracker.Count);
        Assert.Equal(3, Assert.Single(daemon.LogEvents("left out")).GetProperty("Skipped").GetInt32());
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("caller-1", "1003", 1_795_421_035_000_000);
        await daemon.WaitForRingingAsync(1);
    }

    /// <summary>
    /// FreeSWITCH's cJSON writes a value holding a quote and a non-UTF-8 byte as an escape followed by that byte;
    /// reading that header can fail. Whatever applying one event throws, the feed drops that event only.
    /// </summary>
    [Fact]
    public async Task An_event_that_cannot_be_applied_is_dropped_and_logged_and_later_events_still_apply()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var inbound = daemon.Host.Services.GetRequiredService<InboundConnectionService>();
        var body = Encoding.UTF8.GetBytes("{\"Event-Name\":\"CHANNEL_CREATE\",\"Unique-ID\":\"odd-leg\",\"Call-Direction\":\"outbound\",\"variable_presence_id\":\"\\\"")
            .Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        var odd = DecodedEvents.Json(body);

        inbound.Apply(odd);
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("caller-1", "1003", 1_795_421_035_000_000);

        await daemon.WaitForRingingAsync(1);
        // Either the value decodes (then the event applies like any other) or the event alone is dropped, saying which.
        if (daemon.Tracker.Find("odd-leg") is null)
        {
            var dropped = Assert.Single(daemon.LogEvents("dropped: applying it failed"));
            Assert.Equal(("CHANNEL_CREATE", "odd-leg"), (dropped.GetProperty("EventName").GetString(), dropped.GetProperty("ChannelUuid").GetString()));
        }
    }
}
