using System.Net;
using EslCallflow.Hosting;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EslCallflow.Tests;

/// <summary>The real daemon host (DI, options, logging) wired to a fake FreeSWITCH on ephemeral ports.</summary>
internal sealed class RunningDaemon : IAsyncDisposable
{
    private RunningDaemon(IHost host, FakeFreeSwitch freeSwitch)
    {
        Host = host;
        FreeSwitch = freeSwitch;
    }

    public IHost Host { get; }
    public FakeFreeSwitch FreeSwitch { get; }

    public IPEndPoint CallEndpoint => Host.Services.GetRequiredService<OutboundCallService>().Listener.LocalEndPoint!;

    public int ActiveCalls => Host.Services.GetRequiredService<OutboundCallService>().Listener.ActiveSessions;

    public static string BundledConfig => Path.Combine(AppContext.BaseDirectory, "config");

    public static async Task<RunningDaemon> StartAsync(string? configPath = null)
    {
        var freeSwitch = new FakeFreeSwitch("test-secret").Start();
        var host = DaemonHost.CreateBuilder([
            $"--EslCallflow:ConfigurationPath={configPath ?? BundledConfig}",
            "--EslCallflow:DrainTimeout=00:00:02",
            $"--Esl:Inbound:Port={freeSwitch.Port}",
            "--Esl:Inbound:Password=test-secret",
            "--Esl:Outbound:Port=0",
            "--Logging:MinimumLevel=Debug",
        ]).Build();
        await host.StartAsync();
        return new RunningDaemon(host, freeSwitch);
    }

    public Task<FakeCall> CallAsync(string destination, string? fromUser, Func<FakeCall, FakeExecution, Task>? onExecute = null) =>
        FakeCall.DialAsync(CallEndpoint, new FakeCallSetup { Destination = destination, SipUser = fromUser }, onExecute);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Host.StopAsync(stop.Token);
        Host.Dispose();
        await FreeSwitch.DisposeAsync();
    }
}

/// <summary>Scripts for what FreeSWITCH's bridge does, shaped like the real CHANNEL_EXECUTE_COMPLETE.</summary>
internal static class Bridges
{
    public static Func<FakeCall, FakeExecution, Task> Answered(string bLeg = "b-leg-uuid") => (call, execution) => execution.Application == "bridge"
        ? call.CompleteAsync(execution, new Dictionary<string, string> { ["variable_originate_disposition"] = "SUCCESS", ["variable_DIALSTATUS"] = "SUCCESS", ["variable_last_bridge_to"] = bLeg })
        : call.CompleteAsync(execution);

    public static Func<FakeCall, FakeExecution, Task> Fails(string cause) => (call, execution) => execution.Application == "bridge"
        ? call.CompleteAsync(execution, new Dictionary<string, string> { ["variable_originate_disposition"] = cause, ["variable_originate_failed_cause"] = cause })
        : call.CompleteAsync(execution);

    public static Func<FakeCall, FakeExecution, Task> RingsForever => (call, execution) => execution.Application == "bridge" ? Task.CompletedTask : call.CompleteAsync(execution);
}
