using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// The daemon killed outright (SIGKILL: no drain, no flush, no stop hooks) with call events not yet delivered: the
/// spool written before each event was queued brings them back at the next start, with the ids they had.
/// </summary>
public class DaemonKillTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Events_pending_when_the_daemon_is_killed_are_delivered_after_the_next_start_with_the_same_ids()
    {
        var state = Directory.CreateTempSubdirectory("eslcallflow-kill").FullName;
        await using var receiver = await WebhookReceiver.StartAsync();
        await receiver.StopAsync();
        await using var switchBeforeKill = new FakeFreeSwitch("test-secret").Start();
        var (callPort, httpPort) = (FreePort(), FreePort());
        string callUuid;
        string[] idsSentToSwitch;
        using (var daemon = StartDaemonProcess(switchBeforeKill.Port, callPort, httpPort, state, receiver.Url))
        {
            try
            {
                await WaitUntilHealthyAsync(httpPort, daemon);
                await using (var call = await FakeCall.DialAsync(new IPEndPoint(IPAddress.Loopback, callPort), new FakeCallSetup { Destination = "7000", SipUser = "1005" }, Bridges.Answered()))
                {
                    await call.Closed.WaitAsync(Timeout);
                    callUuid = call.Uuid;
                }
                // The switch's copies carry the ids; the hook's copies are on disk, undelivered (the receiver is down).
                await Eventually.True(() => switchBeforeKill.SentEvents.Count(e => e.Headers["Eslcallflow-Call-Uuid"] == callUuid) == 4, Timeout);
                idsSentToSwitch = [.. switchBeforeKill.SentEvents.Where(e => e.Headers["Eslcallflow-Call-Uuid"] == callUuid).Select(e => System.Text.Json.JsonDocument.Parse(e.Body!).RootElement.GetProperty("id").GetString()!)];
                await Eventually.True(() => SpoolHolds(state, "crm", idsSentToSwitch[^1]), Timeout);
            }
            finally
            {
                daemon.Kill();
                await daemon.WaitForExitAsync();
            }
            Assert.Equal(137, daemon.ExitCode);
        }

        await receiver.StartAgainAsync();
        await using var restarted = await RunningDaemon.StartAsync(null, [.. HookArgs.For(receiver.Url), $"--EslCallflow:StatePath={state}"]);

        await receiver.WaitForAsync(d => d.Any(h => h.CallUuid == callUuid && h.Type == "call.ended"), Timeout);
        Assert.Equal(idsSentToSwitch, receiver.Delivered.Where(d => d.CallUuid == callUuid).Select(d => d.Id).Distinct());
        Assert.Equal(["call.started", "call.ringing", "call.answered", "call.ended"],
            receiver.Delivered.Where(d => d.CallUuid == callUuid).DistinctBy(d => d.Id).Select(d => d.Type));
    }

    private static bool SpoolHolds(string state, string destination, string eventId)
    {
        var folder = Path.Combine(state, "spool", destination);
        return Directory.Exists(folder) && Directory.GetFiles(folder, "*.events").Any(file =>
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Contains(eventId, StringComparison.Ordinal);
        });
    }

    /// <summary>The daemon as it runs in production: its own process, settings on the command line, the password in the environment.</summary>
    private static Process StartDaemonProcess(int eslPort, int callPort, int httpPort, string state, string hookUrl)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        foreach (var arg in (string[])
        [
            Path.Combine(AppContext.BaseDirectory, "EslCallflow.dll"),
            $"--EslCallflow:StatePath={state}",
            $"--EslCallflow:ConfigurationPath={RunningDaemon.BundledConfig}",
            $"--Esl:Inbound:Port={eslPort}", $"--Esl:Outbound:Port={callPort}", $"--Http:Url=http://127.0.0.1:{httpPort}",
            "--Dialplan:Url=http://127.0.0.1:0",
            "--CallRecords:FreeSwitchEvents=true",
            "--Logging:MinimumLevel=Warning",
            .. HookArgs.For(hookUrl),
        ])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ESLCALLFLOW_Esl__Inbound__Password"] = "test-secret";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the daemon");
        // Drained so a full pipe never stalls the daemon.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilHealthyAsync(int httpPort, Process daemon)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            Assert.False(daemon.HasExited, "the daemon exited at start");
            try
            {
                if ((await client.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/healthz"), cts.Token)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cts.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
