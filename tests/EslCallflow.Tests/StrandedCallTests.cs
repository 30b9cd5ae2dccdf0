using System.Text.Json;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// A picked-up caller whose picker is gone before FreeSWITCH joined them stays answered with nobody (issue 32 part 1;
/// switch_ivr_bridge.c uuid_bridge_on_soft_execute): the daemon ends it, says so in the log, the record and a metric.
/// A conversation that ends normally is only recorded.
/// </summary>
public class StrandedCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static string? Text(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }
        return element.ValueKind == JsonValueKind.String ? element.GetString() : element.ValueKind == JsonValueKind.Null ? null : element.GetRawText();
    }

    private static async Task<(RunningDaemon Daemon, WebhookReceiver Receiver, SimulatedSwitch Fs, FakeCall Caller, FakeCall Picker)> PickedUpAsync()
    {
        var receiver = await WebhookReceiver.StartAsync();
        var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url));
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        daemon.FreeSwitch.Api = fs.Api;
        var caller = await daemon.CallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);
        var picker = await daemon.CallAsync("8000", "1006", fs.Intercepts);
        await picker.Closed.WaitAsync(Timeout);
        await caller.Closed.WaitAsync(Timeout);
        await receiver.WaitForAsync(d => d.Any(h => h.CallUuid == picker.Uuid && h.Type == "call.picked_up"), Timeout);
        return (daemon, receiver, fs, caller, picker);
    }

    private static async Task<JsonElement> EndedRecordAsync(WebhookReceiver receiver, string callUuid)
    {
        await receiver.WaitForAsync(d => d.Any(h => h.CallUuid == callUuid && h.Type == "call.ended"), Timeout);
        return receiver.Delivered.Last(h => h.CallUuid == callUuid && h.Type == "call.ended").Record;
    }

    [Theory]
    [InlineData("CS_RESET")]
    [InlineData("CS_SOFT_EXECUTE")]
    [InlineData("CS_PARK")]
    public async Task A_caller_left_answered_when_its_picker_hangs_up_at_once_is_hung_up_by_the_daemon(string state)
    {
        var (daemon, receiver, fs, caller, picker) = await PickedUpAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        await using var ___ = caller;
        await using var ____ = picker;

        var strandedAt = DateTime.UtcNow;
        await fs.StrandAsync(caller.Uuid, state);

        var ringGroupRecord = await EndedRecordAsync(receiver, caller.Uuid);
        var kill = Assert.Single(fs.Kills);
        Assert.Equal($"uuid_kill {caller.Uuid} NORMAL_CLEARING", kill);
        Assert.True(DateTime.UtcNow - strandedAt < TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(1), "ended within the grace and a check");
        Assert.Equal(("picked_up", "daemon", "NORMAL_CLEARING"), (Text(ringGroupRecord, "outcome"), Text(ringGroupRecord, "hung_up_by"), Text(ringGroupRecord, "hangup_cause")));
        var pickerRecord = await EndedRecordAsync(receiver, picker.Uuid);
        Assert.Equal(("picked_up", "daemon"), (Text(pickerRecord, "outcome"), Text(pickerRecord, "hung_up_by")));
        var line = Assert.Single(daemon.LogEvents("left answered with nobody"));
        Assert.Equal((caller.Uuid, picker.Uuid, state), (line.GetProperty("CallUuid").GetString(), line.GetProperty("PartnerUuid").GetString(), line.GetProperty("ChannelState").GetString()));
        Assert.Contains($"eslcallflow_stranded_calls_ended_total{{state=\"{state}\"}} 1", await daemon.MetricsAsync());
        await Eventually.True(() => daemon.Tracker.Find(caller.Uuid) is null, Timeout);
    }

    [Fact]
    public async Task A_ring_group_caller_whose_picker_hangs_up_at_once_is_let_go_and_hung_up()
    {
        var receiver = await WebhookReceiver.StartAsync();
        await using var _ = receiver;
        await using var daemon = await RunningDaemon.StartAsync(null, HookArgs.For(receiver.Url));
        var fs = new SimulatedSwitch(daemon.FreeSwitch) { PickerHangsUpAtOnce = true };
        daemon.FreeSwitch.Api = fs.Api;
        await using var caller = await daemon.CallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);

        await using var picker = await daemon.CallAsync("8000", "1006", fs.Intercepts);

        var record = await EndedRecordAsync(receiver, caller.Uuid);
        Assert.Equal($"uuid_kill {caller.Uuid} NORMAL_CLEARING", Assert.Single(fs.Kills));
        // The ring group let go of the caller's socket (exit) as soon as it knew the call was picked up.
        Assert.Contains("exit", caller.Commands);
        Assert.Equal(("picked_up", "daemon"), (Text(record, "outcome"), Text(record, "hung_up_by")));
        Assert.Contains("eslcallflow_stranded_calls_ended_total{state=\"CS_RESET\"} 1", await daemon.MetricsAsync());
    }

    [Fact]
    public async Task A_conversation_that_ends_normally_is_recorded_with_who_hung_up_and_nothing_is_killed()
    {
        var (daemon, receiver, fs, caller, picker) = await PickedUpAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        await using var ___ = caller;
        await using var ____ = picker;

        // The picker hangs up after talking; the bridge ends the caller as usual.
        await fs.HangUpAsync(picker.Uuid, "NORMAL_CLEARING", partner: caller.Uuid);

        var ringGroupRecord = await EndedRecordAsync(receiver, caller.Uuid);
        var pickerRecord = await EndedRecordAsync(receiver, picker.Uuid);
        Assert.Equal(("picked_up", "dev1006"), (Text(ringGroupRecord, "outcome"), Text(ringGroupRecord, "hung_up_by")));
        Assert.Equal(("picked_up", "caller"), (Text(pickerRecord, "outcome"), Text(pickerRecord, "hung_up_by")));
        Assert.NotNull(Text(pickerRecord, "talk_seconds"));
        Assert.Empty(fs.Kills);
        Assert.Empty(daemon.LogEvents("left answered with nobody"));
        Assert.DoesNotContain("eslcallflow_stranded_calls_ended_total{", await daemon.MetricsAsync());
    }

    [Fact]
    public async Task A_caller_still_up_but_running_again_after_its_picker_left_is_left_alone()
    {
        var (daemon, receiver, fs, caller, picker) = await PickedUpAsync();
        await using var _ = daemon;
        await using var __ = receiver;
        await using var ___ = caller;
        await using var ____ = picker;

        // A transfer, say: the caller runs dialplan applications again, so something else will end it.
        await fs.StrandAsync(caller.Uuid, "CS_EXECUTE");
        await Eventually.True(() => daemon.LogEvents("left alone").Count == 1, Timeout);

        Assert.Empty(fs.Kills);
        Assert.NotNull(daemon.Tracker.Find(caller.Uuid));
    }
}
