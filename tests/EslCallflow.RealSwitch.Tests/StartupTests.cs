using System.Text.RegularExpressions;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>The shipped freeswitch-conf/ and the daemon as they start.</summary>
[Collection(RealSwitchCollection.Name)]
public sealed partial class StartupTests(RealSwitch fixture, ITestOutputHelper output)
{
    [GeneratedRegex(@"\[(ERR|CRIT|ALERT)\]")]
    private static partial Regex ErrorLevel();

    [RealSwitchFact]
    public void FreeSWITCH_starts_on_freeswitch_conf_with_no_error_or_critical_line()
    {
        var lines = fixture.Switch.StartupLog.Split('\n');
        var errors = lines.Where(l => ErrorLevel().IsMatch(l)).ToList();
        output.WriteLine($"{lines.Length} log lines at start-up, {errors.Count} ERR/CRIT/ALERT");
        foreach (var error in errors)
        {
            output.WriteLine(error);
        }

        Assert.Contains(lines, l => l.Contains("FreeSWITCH Started", StringComparison.Ordinal));
        Assert.Empty(errors);
    }

    [RealSwitchFact]
    public Task The_daemon_reports_healthy_with_its_feed_up_and_its_listener_accepting() => fixture.RunAsync(output, async s =>
    {
        var (status, body) = await s.Daemon.HealthAsync(s.Cancellation);

        s.Report($"/healthz: {(int?)status} {body}");
        s.Report($"left over by an earlier run and killed at start: {(fixture.LeftoversKilled.Count == 0 ? "nothing" : string.Join(", ", fixture.LeftoversKilled))}");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Contains("\"channelFeed\":\"up\"", body, StringComparison.Ordinal);
        Assert.Contains("\"callListener\":\"accepting\"", body, StringComparison.Ordinal);
    });
}
