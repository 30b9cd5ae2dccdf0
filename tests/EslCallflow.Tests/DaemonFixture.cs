using EslCallflow.Tracking;
using EslCallflow.Calls;
using System.Net;
using System.Text.Json;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Hosting;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EslCallflow.Tests;

/// <summary>The real daemon host (DI, options, logging) wired to a fake FreeSWITCH on ephemeral ports.</summary>
internal sealed class RunningDaemon : IAsyncDisposable
{
    private RunningDaemon(IHost host, FakeFreeSwitch freeSwitch, string logFile)
    {
        Host = host;
        FreeSwitch = freeSwitch;
        LogFile = logFile;
    }

    /// <summary>The daemon's compact-JSON log file (Logging:File), one event per line.</summary>
    public string LogFile { get; }

    public IHost Host { get; }
    public FakeFreeSwitch FreeSwitch { get; }

    public IPEndPoint CallEndpoint => Host.Services.GetRequiredService<OutboundCallService>().Listener.LocalEndPoint!;

    public Tracking.ChannelTracker Tracker => Host.Services.GetRequiredService<Tracking.ChannelTracker>();

    /// <summary>Waits until the daemon's tracker has seen <paramref name="count"/> ringing legs.</summary>
    public async Task WaitForRingingAsync(int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (Tracker.RingingCount != count)
        {
            await Task.Delay(10, cts.Token);
        }
    }

    /// <summary>The operator endpoint's base address (an ephemeral loopback port).</summary>
    public Uri Http => Host.Services.GetRequiredService<Operations.HttpEndpointService>().Address!;

    /// <summary>The Prometheus text of <c>/metrics</c>.</summary>
    public async Task<string> MetricsAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await client.GetStringAsync(new Uri(Http, "/metrics"));
    }

    public int ActiveCalls => Host.Services.GetRequiredService<OutboundCallService>().Listener.ActiveSessions;

    public static string BundledConfig => Path.Combine(AppContext.BaseDirectory, "config");

    public static Task<RunningDaemon> StartAsync(string? configPath = null, params string[] extraArgs) =>
        StartWithAsync(new FakeFreeSwitch("test-secret"), configPath, extraArgs);

    /// <summary>As above, against <paramref name="freeSwitch"/> (password test-secret, not started yet) scripted beforehand.</summary>
    public static async Task<RunningDaemon> StartWithAsync(FakeFreeSwitch freeSwitch, string? configPath, params string[] extraArgs)
    {
        freeSwitch.Start();
        var logFile = Path.Combine(Directory.CreateTempSubdirectory("eslcallflow-log").FullName, "daemon.json");
        var host = DaemonHost.CreateBuilder([
            $"--EslCallflow:StatePath={Directory.CreateTempSubdirectory("eslcallflow-state").FullName}",
            $"--Logging:File={logFile}",
            $"--EslCallflow:ConfigurationPath={configPath ?? BundledConfig}",
            "--EslCallflow:DrainTimeout=00:00:02",
            $"--Esl:Inbound:Port={freeSwitch.Port}",
            "--Esl:Inbound:Password=test-secret",
            "--Esl:Outbound:Port=0",
            "--Http:Url=http://127.0.0.1:0",
            "--Logging:MinimumLevel=Debug",
            .. extraArgs,
        ]).Build();
        await host.StartAsync();
        // Ready as a switch would find it: the channel feed is subscribed and rebuilt.
        var inbound = host.Services.GetRequiredService<InboundConnectionService>();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!inbound.IsConnected)
        {
            await Task.Delay(10, wait.Token);
        }
        return new RunningDaemon(host, freeSwitch, logFile);
    }

    public Task<FakeCall> CallAsync(string destination, string? fromUser, Func<FakeCall, FakeExecution, Task>? onExecute = null) =>
        FakeCall.DialAsync(CallEndpoint, new FakeCallSetup { Destination = destination, SipUser = fromUser, Switch = FreeSwitch }, onExecute);

    /// <summary>Log events so far whose message template contains <paramref name="templatePart"/>.</summary>
    public IReadOnlyList<JsonElement> LogEvents(string templatePart)
    {
        var folder = Path.GetDirectoryName(LogFile)!;
        var lines = Directory.GetFiles(folder).SelectMany(file =>
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        });
        return [.. lines.Select(line => JsonDocument.Parse(line).RootElement).Where(e => e.GetProperty("@mt").GetString()!.Contains(templatePart, StringComparison.Ordinal))];
    }

    /// <summary>A copy of the bundled configuration with extra callflow documents.</summary>
    public static string ConfigWith(params (string File, string Json)[] callflows)
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-config").FullName;
        foreach (var file in Directory.GetFiles(BundledConfig, "*.json", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(BundledConfig, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        foreach (var (name, json) in callflows)
        {
            File.WriteAllText(Path.Combine(folder, "callflows", name), json);
        }
        return folder;
    }

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
    /// <summary>
    /// A phone answers (the caller's CHANNEL_ANSWER and CHANNEL_BRIDGE, as a real switch sends them), talks,
    /// and hangs up; the bridge completes only then. <paramref name="conversation"/> holds the call up until it
    /// completes (default: at once).
    /// </summary>
    public static Func<FakeCall, FakeExecution, Task> Answered(string bLeg = "b-leg-uuid", Task? conversation = null, bool callerHangsUp = false) => async (call, execution) =>
    {
        if (execution.Application != "bridge")
        {
            await call.CompleteAsync(execution);
            return;
        }
        await call.AnswerBridgeAsync(bLeg);
        await (conversation ?? Task.CompletedTask);
        await call.EndBridgeAsync(execution, bLeg, callerHangsUp);
    };

    public static Func<FakeCall, FakeExecution, Task> Fails(string cause) => (call, execution) => execution.Application == "bridge"
        ? call.CompleteAsync(execution, new Dictionary<string, string> { ["variable_originate_disposition"] = cause, ["variable_originate_failed_cause"] = cause })
        : call.CompleteAsync(execution);

    /// <summary>
    /// FreeSWITCH ringing '|' legs one after another: every leg before the one ringing <paramref name="deviceId"/>
    /// times out, that one answers.
    /// </summary>
    public static Func<FakeCall, FakeExecution, Task> AnsweredInTurnBy(string deviceId) => async (call, execution) =>
    {
        if (execution.Application != "bridge")
        {
            await call.CompleteAsync(execution);
            return;
        }
        var legs = FreeSwitchDialString.Parse(execution.Argument!).Legs.Select(l => l.Variables[DialString.DeviceVariable]).ToList();
        var answering = legs.IndexOf(deviceId);
        var causes = string.Join(',', legs.Take(answering).Select(d => $"leg-{d};NO_ANSWER"));
        await call.AnswerBridgeAsync($"leg-{deviceId}");
        await call.CompleteAsync(execution, new Dictionary<string, string>
        {
            ["variable_originate_disposition"] = "SUCCESS",
            ["variable_originate_causes"] = causes,
            ["variable_last_bridge_to"] = $"leg-{deviceId}",
        });
    };

    public static Func<FakeCall, FakeExecution, Task> RingsForever => (call, execution) => execution.Application == "bridge" ? Task.CompletedTask : call.CompleteAsync(execution);
}

/// <summary>Polls a condition the daemon reaches asynchronously (a log line, a metric), up to a deadline.</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
