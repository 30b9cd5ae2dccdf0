using System.Net;
using System.Text.Json;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>/healthz, /metrics, /channels and hot reload, through the real host and the fake switch.</summary>
public class OperationsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static async Task<HttpStatusCode> HealthAsync(RunningDaemon daemon) => (await Client.GetAsync(new Uri(daemon.Http, "/healthz"))).StatusCode;

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!await condition())
        {
            await Task.Delay(25, cts.Token);
        }
    }

    private static long Sample(string metrics, string line) =>
        metrics.Split('\n').Where(l => l.StartsWith(line + " ", StringComparison.Ordinal)).Select(l => long.Parse(l[(line.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();

    [Fact]
    public async Task Healthz_goes_unhealthy_when_the_switch_link_drops_and_healthy_when_it_returns()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        Assert.Equal(HttpStatusCode.OK, await HealthAsync(daemon));

        daemon.FreeSwitch.Responsive = false;
        daemon.FreeSwitch.DropConnections();
        await WaitForAsync(async () => await HealthAsync(daemon) == HttpStatusCode.ServiceUnavailable);
        var body = await Client.GetStringAsync(new Uri(daemon.Http, "/metrics"));
        Assert.Contains("eslcallflow_esl_connected 0", body, StringComparison.Ordinal);
        var health = await Client.GetAsync(new Uri(daemon.Http, "/healthz"));
        Assert.Equal("down", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("channelFeed").GetString());

        daemon.FreeSwitch.Responsive = true;
        await WaitForAsync(async () => await HealthAsync(daemon) == HttpStatusCode.OK);
        Assert.True(Sample(await Client.GetStringAsync(new Uri(daemon.Http, "/metrics")), "eslcallflow_esl_reconnects_total") >= 1);
    }

    [Fact]
    public async Task Metrics_count_a_ring_group_and_a_pickup_made_through_the_switch()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await using (var answered = await daemon.CallAsync("7000", "1005", Bridges.Answered()))
        {
            await answered.Closed.WaitAsync(Timeout);
        }
        await using var caller = await daemon.CallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);
        await using var picker = await daemon.CallAsync("8000", "1003", fs.Intercepts);
        await Task.WhenAll(caller.Closed, picker.Closed).WaitAsync(Timeout);

        var metrics = await Client.GetStringAsync(new Uri(daemon.Http, "/metrics"));

        Assert.Equal(1, Sample(metrics, "eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"answered\"}"));
        Assert.Equal(1, Sample(metrics, "eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"picked_up\"}"));
        Assert.Equal(1, Sample(metrics, "eslcallflow_pickups_total{outcome=\"picked_up\"}"));
        Assert.Equal(3, Sample(metrics, "eslcallflow_decision_latency_seconds_count"));
        Assert.Equal(3, Sample(metrics, "eslcallflow_decision_latency_seconds_bucket{le=\"+Inf\"}"));
        Assert.True(Sample(metrics, "eslcallflow_esl_events_received_total") >= 8);
        Assert.Contains("# TYPE eslcallflow_decision_latency_seconds histogram", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Channels_lists_a_ringing_call_under_its_device()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("caller-1", "1003", 1_795_421_035_000_000);
        await daemon.WaitForRingingAsync(1);

        var channels = JsonDocument.Parse(await Client.GetStringAsync(new Uri(daemon.Http, "/channels"))).RootElement;

        Assert.Equal(1, channels.GetProperty("ringing").GetInt32());
        var leg = Assert.Single(channels.GetProperty("devices").GetProperty("dev1003").EnumerateArray());
        Assert.Equal(("caller-1-plain-leg", "caller-1", "RINGING"), (leg.GetProperty("leg").GetString(), leg.GetProperty("caller").GetString(), leg.GetProperty("callState").GetString()));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_795_421_035), leg.GetProperty("ringingSince").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_valid_change_reloads_for_new_calls_and_a_bad_one_is_rejected_while_calls_in_progress_keep_theirs()
    {
        var folder = RunningDaemon.ConfigWith();
        await using var daemon = await RunningDaemon.StartAsync(folder);
        var bridge = new TaskCompletionSource<FakeExecution>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var inProgress = await daemon.CallAsync("7000", "1005", (c, e) =>
        {
            if (e.Application == "bridge")
            {
                bridge.SetResult(e);
                return Task.CompletedTask;
            }
            return c.CompleteAsync(e);
        });
        var ringing = await bridge.Task.WaitAsync(Timeout);

        // Valid: 7000's wildcard now answers 486 instead of 480; picked up from the file change.
        var file = Path.Combine(folder, "callflows", "7000-sales-ring-group.json");
        await File.WriteAllTextAsync(file, (await File.ReadAllTextAsync(file)).Replace("\"code\": 480, \"message\": \"Nobody Available\"", "\"code\": 486, \"message\": \"Sales Busy\"", StringComparison.Ordinal));
        await WaitForAsync(() => Task.FromResult(daemon.LogEvents("Configuration reloaded").Count >= 1));
        await using (var after = await daemon.CallAsync("7000", "1005", Bridges.Fails("NO_ANSWER")))
        {
            Assert.Equal("486 Sales Busy", (await after.WaitForExecutionAsync("respond")).Argument);
        }

        // Invalid: rejected with every error logged, and the POST says so; the last good configuration stays.
        await File.WriteAllTextAsync(Path.Combine(folder, "callflows", "broken.json"), """{ "id": "broken", "numbers": ["7000"], "flow": { "module": "ring_group", "data": { "endpoints": [] } } }""");
        var post = await Client.PostAsync(new Uri(daemon.Http, "/reload"), null);
        Assert.Equal(HttpStatusCode.UnprocessableContent, post.StatusCode);
        var errors = JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("callflows/broken.json: document 'broken' $.flow.data.endpoints: must list at least one endpoint", errors);
        Assert.Contains(daemon.LogEvents("Configuration error"), e => e.GetProperty("Reason").GetString() == "must list at least one endpoint");
        await using (var later = await daemon.CallAsync("7000", "1005", Bridges.Fails("NO_ANSWER")))
        {
            Assert.Equal("486 Sales Busy", (await later.WaitForExecutionAsync("respond")).Argument);
        }

        // The call that started before both changes still runs the flow it started with.
        await inProgress.CompleteAsync(ringing, new Dictionary<string, string> { ["variable_originate_disposition"] = "NO_ANSWER", ["variable_originate_failed_cause"] = "NO_ANSWER" });
        Assert.Equal("480 Nobody Available", (await inProgress.WaitForExecutionAsync("respond")).Argument);
    }
}
