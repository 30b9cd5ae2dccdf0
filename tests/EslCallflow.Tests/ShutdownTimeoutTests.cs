using EslCallflow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EslCallflow.Tests;

/// <summary>The host's shutdown deadline follows the drain, and a drain longer than systemd waits is refused at start.</summary>
public class ShutdownTimeoutTests
{
    [Theory]
    [InlineData("00:00:30", "00:00:45")]
    [InlineData("00:04:00", "00:04:15")]
    public void The_hosts_shutdown_timeout_is_the_drain_plus_its_margin(string drain, string shutdown)
    {
        using var host = DaemonHost.CreateBuilder([$"--EslCallflow:DrainTimeout={drain}", "--Http:Enabled=false"]).Build();

        var options = host.Services.GetRequiredService<IOptions<HostOptions>>().Value;

        Assert.Equal(TimeSpan.Parse(shutdown, System.Globalization.CultureInfo.InvariantCulture), options.ShutdownTimeout);
    }

    [Fact]
    public async Task A_drain_longer_than_the_unit_allows_is_refused_at_start_with_exit_2_naming_it()
    {
        using var error = new StringWriter();

        var exitCode = await DaemonRunner.RunAsync(["--EslCallflow:DrainTimeout=00:10:00", "--Esl:Outbound:Port=0", "--Http:Enabled=false", "--Dialplan:Enabled=false"], error);

        Assert.Equal(DaemonRunner.InvalidSettings, exitCode);
        Assert.Contains("DrainTimeout", error.ToString(), StringComparison.Ordinal);
    }
}
