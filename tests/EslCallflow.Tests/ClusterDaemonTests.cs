using System.Net;
using System.Text.Json;
using EslCallflow.Cluster;
using EslCallflow.Hosting;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EslCallflow.Tests;

/// <summary>The daemon with and without a Cluster section, against the fake switch and a real redis-server.</summary>
public sealed class ClusterDaemonTests
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static string[] ClusterSettings(RedisServer redis) =>
    [
        "--Cluster:NodeId=node-a",
        "--Cluster:NodeSipUri=sip:127.0.0.1:5080",
        "--Cluster:ProxyUri=sip:127.0.0.1:5060",
        $"--Cluster:Redis={redis.Configuration},connectTimeout=1000",
        "--Cluster:HeartbeatInterval=00:00:00.200",
    ];

    private static async Task<(HttpStatusCode Status, JsonElement Body)> HealthAsync(RunningDaemon daemon)
    {
        using var response = await Client.GetAsync(new Uri(daemon.Http, "/healthz"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> holds, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (holds(value))
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < until, $"{what}: last {value}");
            await Task.Delay(25);
        }
    }

    [NeedsToolFact("redis-server")]
    public async Task A_clustered_daemon_publishes_what_rings_on_its_node_and_stays_up_degraded_while_Redis_is_away()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var daemon = await RunningDaemon.StartAsync(null, ClusterSettings(redis));
        var fs = new SimulatedSwitch(daemon.FreeSwitch);

        var leg = await fs.RingPlainAsync("caller-1", "1003", 1_795_421_035_000_000);
        await daemon.WaitForRingingAsync(1);
        var stored = await EventuallyAsync(() => redis.CommandAsync("GET eslcallflow:leg:" + leg), r => r.Contains("caller-1", StringComparison.Ordinal), "the ringing leg in Redis");
        var entry = JsonDocument.Parse(stored[(stored.IndexOf('\n', StringComparison.Ordinal) + 1)..].Trim()).RootElement;
        Assert.Equal("node-a", entry.GetProperty("node").GetString());
        Assert.Equal("1003@127.0.0.1", entry.GetProperty("sip").GetString());
        Assert.Equal(1_795_421_035_000_000, entry.GetProperty("since").GetInt64());
        Assert.Contains("sip:127.0.0.1:5080", await redis.CommandAsync("GET eslcallflow:node:node-a"), StringComparison.Ordinal);
        var (status, body) = await HealthAsync(daemon);
        Assert.Equal((HttpStatusCode.OK, "ok", "up"), (status, body.GetProperty("status").GetString(), body.GetProperty("clusterStore").GetString()));
        Assert.Contains("eslcallflow_cluster_store_up 1\n", await daemon.MetricsAsync(), StringComparison.Ordinal);

        await redis.StopAsync();
        (status, body) = await EventuallyAsync(() => HealthAsync(daemon), h => h.Body.GetProperty("clusterStore").GetString() == "down", "/healthz seeing the store gone");
        Assert.Equal((HttpStatusCode.OK, "degraded"), (status, body.GetProperty("status").GetString()));
        var metrics = await daemon.MetricsAsync();
        Assert.Contains("eslcallflow_cluster_store_up 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("eslcallflow_cluster_store_outages_total 1\n", metrics, StringComparison.Ordinal);

        // While it is away a second call rings; once it is back both are there, written again by the daemon.
        var second = await fs.RingPlainAsync("caller-2", "1004", 1_795_421_036_000_000);
        await daemon.WaitForRingingAsync(2);
        await redis.StartAgainAsync();
        await EventuallyAsync(() => redis.CommandAsync("GET eslcallflow:leg:" + second), r => r.Contains("caller-2", StringComparison.Ordinal), "the legs published again");
        Assert.Contains("caller-1", await redis.CommandAsync("GET eslcallflow:leg:" + leg), StringComparison.Ordinal);
        Assert.Equal("up", (await HealthAsync(daemon)).Body.GetProperty("clusterStore").GetString());
        Assert.Single(daemon.LogEvents("Cluster store unreachable"));
        Assert.Single(daemon.LogEvents("Cluster store back"));
    }

    [NeedsToolFact("redis-server")]
    public async Task Clustered_daemons_share_what_ring_groups_remember_rotation_answers_and_log_ins()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await RunningDaemon.StartAsync(null, ClusterSettings(redis));
        await using var b = await RunningDaemon.StartAsync(null, [.. ClusterSettings(redis).Where(s => !s.StartsWith("--Cluster:NodeId", StringComparison.Ordinal)), "--Cluster:NodeId=node-b"]);
        var stateA = a.Host.Services.GetRequiredService<GroupState.IRingGroupState>();
        var stateB = b.Host.Services.GetRequiredService<GroupState.IRingGroupState>();
        Assert.IsType<Clustering.ClusterRingGroupState>(stateA);

        Assert.True(await stateA.SetLoggedOutAsync("sales-ring-group", "dev1002", true, CancellationToken.None));
        Assert.False(await stateB.SetLoggedOutAsync("sales-ring-group", "dev1002", true, CancellationToken.None)); // already out, as node A said
        await stateA.StartedAsync("sales", "dev1003", CancellationToken.None);
        await stateA.AnsweredAsync("sales", "dev1001", DateTimeOffset.FromUnixTimeMilliseconds(1_795_421_035_000), CancellationToken.None);

        var seenOnB = await stateB.ReadAsync("sales", "sales-ring-group", CancellationToken.None);
        Assert.Equal(["dev1002"], seenOnB.LoggedOut);
        Assert.Equal("dev1003", seenOnB.LastStarted);
        Assert.Equal(1_795_421_035_000, seenOnB.LastAnswered["dev1001"]);
        Assert.Equal(["dev1002"], (await stateB.LoggedOutAsync(CancellationToken.None))["sales-ring-group"]);

        Assert.True(await stateB.SetLoggedOutAsync("sales-ring-group", "dev1002", false, CancellationToken.None));
        Assert.Empty((await stateA.ReadAsync("sales", "sales-ring-group", CancellationToken.None)).LoggedOut);
        Assert.Empty(await stateA.LoggedOutAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_a_Cluster_section_the_daemon_has_no_Redis_client_and_its_health_says_nothing_of_one(bool bareValue)
    {
        // A bare "Cluster" value (an environment variable ESLCALLFLOW_CLUSTER=1, say) is no section.
        await using var daemon = await RunningDaemon.StartAsync(null, bareValue ? ["--Cluster=1"] : []);

        Assert.Null(daemon.Host.Services.GetService<ClusterConnection>());
        Assert.Null(daemon.Host.Services.GetService<Tracking.IRingingLegObserver>());
        var (status, body) = await HealthAsync(daemon);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("clusterStore", out _));
        Assert.DoesNotContain("eslcallflow_cluster", await daemon.MetricsAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Cluster:NodeSipUri=10.0.0.1:5080", "Cluster:NodeSipUri")]
    [InlineData("--Cluster:Redis=", "Redis")]
    [InlineData("--Cluster:HeartbeatInterval=00:00:30", "HeartbeatInterval")]
    public async Task A_bad_Cluster_section_stops_the_start_with_exit_2_naming_the_setting(string setting, string named)
    {
        var error = new StringWriter();
        var exitCode = await DaemonRunner.RunAsync(
            [
                $"--EslCallflow:ConfigurationPath={RunningDaemon.BundledConfig}", "--Esl:Inbound:Port=1", "--Esl:Outbound:Port=0", "--Http:Url=http://127.0.0.1:0",
                "--Cluster:NodeId=node-a", "--Cluster:NodeSipUri=sip:127.0.0.1:5080", "--Cluster:ProxyUri=sip:127.0.0.1:5060", "--Cluster:Redis=127.0.0.1:1",
                setting,
            ],
            error).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(DaemonRunner.InvalidSettings, exitCode);
        Assert.Contains(named, error.ToString(), StringComparison.Ordinal);
    }
}
