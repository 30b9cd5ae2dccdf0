using System.Diagnostics;
using System.Globalization;

namespace EslCallflow.Tests;

/// <summary>SIGHUP goes to the whole test process, so every running daemon reloads: these run alone.</summary>
[CollectionDefinition(nameof(SighupReloadTests), DisableParallelization = true)]
public sealed class SighupCollection;

[Collection(nameof(SighupReloadTests))]
public class SighupReloadTests
{
    [Theory]
    [MemberData(nameof(ConfigurationReloadTests.HostileEdits), MemberType = typeof(ConfigurationReloadTests))]
    public async Task A_hostile_edit_reloaded_by_SIGHUP_is_rejected_and_the_daemon_goes_on(string edit, string reason)
    {
        var folder = RunningDaemon.ConfigWith();
        await using var daemon = await RunningDaemon.StartAsync(folder);
        ConfigurationReloadTests.Apply(edit, folder);
        await ConfigurationReloadTests.WaitForAsync(() => daemon.LogEvents("rejected").Count >= 1);
        var before = daemon.LogEvents("rejected").Count;

        using (var kill = Process.Start("kill", ["-HUP", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await ConfigurationReloadTests.WaitForAsync(() => daemon.LogEvents("rejected").Any(e => e.GetProperty("Trigger").GetString()!.Contains("SIGHUP", StringComparison.Ordinal)));
        Assert.True(daemon.LogEvents("rejected").Count > before);
        Assert.Contains(daemon.LogEvents("Configuration error"), e => e.GetProperty("Reason").GetString()!.Contains(reason, StringComparison.Ordinal));
        Assert.Equal("480 Nobody Available", await ConfigurationReloadTests.RespondTo7000Async(daemon));
    }
}
