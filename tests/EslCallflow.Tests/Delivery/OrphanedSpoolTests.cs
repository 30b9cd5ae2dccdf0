using EslCallflow.Records;
using EslCallflow.Delivery;

namespace EslCallflow.Tests;

/// <summary>
/// The spool of a hook that is no longer configured (issue 19): at start it is moved aside whole and logged with
/// the hook's name and its count of undelivered events, never deleted nor left to wait unseen; a disabled hook
/// keeps its spool for when it is enabled again.
/// </summary>
public class OrphanedSpoolTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_removed_hooks_spool_is_moved_aside_whole_logged_with_its_count_and_delivered_once_moved_back_under_a_hook_of_that_name()
    {
        var state = Directory.CreateTempSubdirectory("eslcallflow-orphan").FullName;
        var ids = Spool(state, "oldhook", events: 3, delivered: 1);
        Directory.CreateDirectory(Path.Combine(state, "spool", "emptyhook"));
        await using var receiver = await WebhookReceiver.StartAsync();

        string movedTo;
        await using (var daemon = await RunningDaemon.StartAsync(null, [.. HookArgs.For(receiver.Url), $"--EslCallflow:StatePath={state}"]))
        {
            var warning = Assert.Single(daemon.LogEvents("belongs to no configured destination"));
            Assert.Equal(("Warning", "oldhook", 2), (warning.GetProperty("@l").GetString(), warning.GetProperty("Destination").GetString(), warning.GetProperty("Count").GetInt32()));
            movedTo = warning.GetProperty("MovedTo").GetString()!;
        }

        Assert.Equal(Path.Combine(state, OrphanedSpools.FolderName), Path.GetDirectoryName(movedTo));
        Assert.StartsWith("oldhook-", Path.GetFileName(movedTo), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(state, "spool", "oldhook")));
        Assert.False(Directory.Exists(Path.Combine(state, "spool", "emptyhook")));
        Assert.Equal(3, Directory.GetFiles(movedTo, "*.events").Sum(f => File.ReadAllLines(f).Length));
        Assert.Empty(receiver.Delivered);

        // Nothing was lost: moved back and configured again, the hook gets what it had not had, with the same ids.
        Directory.Move(movedTo, Path.Combine(state, "spool", "oldhook"));
        await using var again = await RunningDaemon.StartAsync(null, [.. HookArgs.For(receiver.Url, name: "oldhook"), $"--EslCallflow:StatePath={state}"]);
        await receiver.WaitForAsync(d => d.Count == 2, Timeout);
        Assert.Equal(ids[1..], receiver.Delivered.Select(d => d.EventId));
        Assert.Empty(again.LogEvents("belongs to no configured destination"));
    }

    [Fact]
    public async Task A_disabled_hook_keeps_its_spool_and_the_log_says_how_many_events_wait_in_it()
    {
        var state = Directory.CreateTempSubdirectory("eslcallflow-disabled").FullName;
        Spool(state, "crm", events: 2, delivered: 0);
        await using var receiver = await WebhookReceiver.StartAsync();

        await using var daemon = await RunningDaemon.StartAsync(null, [.. HookArgs.For(receiver.Url, extra: ["Enabled=false"]), $"--EslCallflow:StatePath={state}"]);

        var warning = Assert.Single(daemon.LogEvents("is disabled"));
        Assert.Equal(("crm", 2), (warning.GetProperty("Destination").GetString(), warning.GetProperty("Count").GetInt32()));
        Assert.Empty(daemon.LogEvents("belongs to no configured destination"));
        using (EventSpool.Open(Path.Combine(state, "spool", "crm"), out var waiting, out _))
        {
            Assert.Equal(2, waiting.Count);
        }
        Assert.False(Directory.Exists(Path.Combine(state, OrphanedSpools.FolderName)));
    }

    /// <summary>A destination's spool as a daemon run leaves it: <paramref name="events"/> written, the first <paramref name="delivered"/> acknowledged; returns their ids.</summary>
    private static string[] Spool(string state, string destination, int events, int delivered)
    {
        var at = DateTimeOffset.UtcNow;
        var record = new CallRecord { RecordId = $"rec-{destination}", CallUuid = $"call-{destination}", Number = "7000", Caller = new CallerInfo("external", false, null, "0612345678"), StartedAt = at };
        var spooled = Enumerable.Range(1, events).Select(i => new CallEvent(CallEventType.Ringing, i, at, record).ToSpooled()).ToList();
        using var spool = EventSpool.Open(Path.Combine(state, "spool", destination), out _, out _);
        var entries = spool.Append(spooled, out _);
        for (var i = 0; i < delivered; i++)
        {
            spool.Ack(entries[i], spooled[i].Id);
        }
        return [.. spooled.Select(e => e.Id)];
    }
}
