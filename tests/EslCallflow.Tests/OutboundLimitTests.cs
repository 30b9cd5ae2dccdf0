using EslCallflow.Hosting;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EslCallflow.Tests;

/// <summary>The outbound listener's bounds as the daemon is configured with them and reports them.</summary>
public class OutboundLimitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task A_call_beyond_MaxSessions_is_refused_with_a_warning_and_counted_in_metrics()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, "--Esl:Outbound:MaxSessions=1");
        await using var held = await daemon.CallAsync("7000", "1005", Bridges.RingsForever);
        await held.WaitForExecutionAsync("bridge");

        await using var refused = await RawPeer.ConnectAsync(daemon.CallEndpoint);

        Assert.True(await refused.IsClosedByListenerAsync(Timeout));
        var warning = Assert.Single(daemon.LogEvents("sessions already open"));
        Assert.Equal(1, warning.GetProperty("MaxSessions").GetInt32());
        var metrics = await Client.GetStringAsync(new Uri(daemon.Http, "/metrics"));
        Assert.Contains("# TYPE eslcallflow_esl_outbound_sessions_refused_total counter", metrics, StringComparison.Ordinal);
        var sample = metrics.Split('\n').Single(l => l.StartsWith("eslcallflow_esl_outbound_sessions_refused_total{reason=\"max_sessions\"} ", StringComparison.Ordinal));
        Assert.True(long.Parse(sample.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Theory]
    [InlineData("--Esl:Outbound:MaxSessions=0", "MaxSessions")]
    [InlineData("--Esl:Outbound:SessionIdleTimeout=00:00:00.010", "SessionIdleTimeout")]
    [InlineData("--Esl:Outbound:MaxBodyBytes=100000000", "MaxBodyBytes")]
    [InlineData("--Esl:Inbound:MaxHeaderBytes=100", "MaxHeaderBytes")]
    [InlineData("--Esl:Outbound:Limits:MaxBodyBytes=70000", "set Esl:Outbound:MaxBodyBytes and Esl:Outbound:MaxHeaderBytes instead")]
    [InlineData("--Esl:Inbound:Limits:MaxHeaderBytes=8192", "set Esl:Inbound:MaxBodyBytes and Esl:Inbound:MaxHeaderBytes instead")]
    public async Task Bad_limits_stop_the_daemon_at_start_with_the_setting_named(string setting, string named)
    {
        using var host = DaemonHost.CreateBuilder(["--Esl:Outbound:Port=0", "--Http:Enabled=false", setting]).Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configured_frame_limits_apply_to_their_connection_only()
    {
        using var host = DaemonHost.CreateBuilder(["--Esl:Outbound:MaxBodyBytes=70000", "--Esl:Inbound:MaxBodyBytes=80000"]).Build();

        var outbound = host.Services.GetRequiredService<IOptions<EslCallflow.Esl.Outbound.EslOutboundListenerOptions>>().Value;
        var inbound = host.Services.GetRequiredService<IOptions<EslCallflow.Esl.Inbound.EslInboundOptions>>().Value;

        Assert.Equal(70000, outbound.MaxBodyBytes);
        Assert.Equal(80000, inbound.MaxBodyBytes);
        Assert.Equal(16 * 1024 * 1024, new EslCallflow.Esl.Inbound.EslInboundOptions().MaxBodyBytes);
        Assert.Equal(1024 * 1024, new EslCallflow.Esl.Outbound.EslOutboundListenerOptions().MaxBodyBytes);
    }
}
