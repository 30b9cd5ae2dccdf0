using EslCallflow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Tests;

/// <summary>How the daemon process ends: exit 2 for a configuration it cannot start with, 1 for a failure, never an abort or a 0 after a failure.</summary>
public class StartupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<(int ExitCode, string Error)> StartAsync(string folder)
    {
        var error = new StringWriter();
        var exitCode = await DaemonRunner.RunAsync(
            [$"--EslCallflow:ConfigurationPath={folder}", "--Esl:Inbound:Port=1", "--Esl:Outbound:Port=0", "--Http:Url=http://127.0.0.1:0", "--Dialplan:Url=http://127.0.0.1:0"],
            error).WaitAsync(Timeout);
        return (exitCode, error.ToString());
    }

    [Theory]
    [MemberData(nameof(ConfigurationReloadTests.HostileEdits), MemberType = typeof(ConfigurationReloadTests))]
    public async Task A_hostile_configuration_at_start_exits_2_with_the_reason(string edit, string reason)
    {
        var folder = RunningDaemon.ConfigWith();
        ConfigurationReloadTests.Apply(edit, folder);

        var (exitCode, error) = await StartAsync(folder);

        Assert.Equal(DaemonRunner.InvalidSettings, exitCode);
        Assert.StartsWith("eslcallflow: invalid settings, not starting:", error, StringComparison.Ordinal);
        Assert.Contains($"callflow configuration {folder}: callflows/bad.json: ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_without_callflows_at_start_exits_2_saying_so()
    {
        var folder = RunningDaemon.ConfigWith();
        Directory.Delete(Path.Combine(folder, "callflows"), recursive: true);

        var (exitCode, error) = await StartAsync(folder);

        Assert.Equal(DaemonRunner.InvalidSettings, exitCode);
        Assert.Contains($"callflow configuration {folder}: no callflows (callflows/*.json); every call would be refused as UNALLOCATED_NUMBER, so the daemon does not start with it", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_background_service_that_fails_stops_the_daemon_with_exit_1_not_0()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHostedService<FailingService>();
        using var host = builder.Build();
        var error = new StringWriter();

        var exitCode = await DaemonRunner.RunAsync(host, error).WaitAsync(Timeout);

        Assert.Equal(DaemonRunner.Failed, exitCode);
        Assert.Equal("eslcallflow: FailingService failed (InvalidOperationException: the feed broke) and stopped the daemon", error.ToString().Trim());
    }

    [Fact]
    public async Task A_requested_stop_exits_0()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        using var host = builder.Build();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.Equal(DaemonRunner.Stopped, await DaemonRunner.RunAsync(host, TextWriter.Null, stop.Token).WaitAsync(Timeout));
    }

    private sealed class FailingService : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(50, stoppingToken);
            throw new InvalidOperationException("the feed broke");
        }
    }
}
