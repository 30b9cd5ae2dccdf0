using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// Pickup across two nodes: two daemons, each with its own simulated switch, sharing a real redis-server. The bundled
/// 8000 (group_pickup, scope sales: 1001, 1002, 1003 and 1006).
/// </summary>
public sealed class ClusterPickupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static string[] Node(RedisServer redis, string id, int sipPort) =>
    [
        $"--Cluster:NodeId={id}",
        $"--Cluster:NodeSipUri=sip:127.0.0.1:{sipPort}",
        "--Cluster:ProxyUri=sip:127.0.0.1:5060",
        $"--Cluster:Redis={redis.Configuration},connectTimeout=1000",
        "--Cluster:HeartbeatInterval=00:00:00.200",
        "--Cluster:QueryTimeout=00:00:02",
    ];

    private static async Task<string> StoredAsync(RedisServer redis, string key)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var reply = await redis.CommandAsync("GET " + key);
            if (!reply.StartsWith("$-1", StringComparison.Ordinal))
            {
                return reply;
            }
            await Task.Delay(20, cts.Token);
        }
    }

    [NeedsToolFact("redis-server")]
    public async Task A_picker_on_node_b_is_moved_to_node_a_where_the_call_rings_and_picked_up_there_while_a_local_picker_is_refused_meanwhile()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await RunningDaemon.StartAsync(null, Node(redis, "a", 5080));
        await using var b = await RunningDaemon.StartAsync(null, Node(redis, "b", 5082));
        var switchA = new SimulatedSwitch(a.FreeSwitch);
        var switchB = new SimulatedSwitch(b.FreeSwitch);
        var leg = await switchA.RingPlainAsync("caller-on-a", "1001");
        await a.WaitForRingingAsync(1);
        await StoredAsync(redis, "eslcallflow:leg:" + leg);

        // Node B has nothing ringing: its picker's call is moved to node A with a redirect the proxy follows.
        await using var pickerOnB = await b.CallAsync("8000", "1003", switchB.Intercepts);
        await pickerOnB.Closed.WaitAsync(Timeout);
        Assert.Equal(
            [
                $"multiset sip_rh_X-Redirect-Server=sip:127.0.0.1:5080 sip_rh_X-Eslcallflow-Pickup=caller-on-a/{pickerOnB.Uuid}",
                "redirect sip:8000@127.0.0.1:5080",
            ],
            pickerOnB.Executions.Select(e => $"{e.Application} {e.Argument}"));
        await Eventually.True(() => b.MetricsAsync().Result.Contains("eslcallflow_pickups_total{outcome=\"moved_to_node\"} 1", StringComparison.Ordinal), Timeout);

        // Meanwhile a picker on node A finds the call claimed for the moved one, and nothing else rings: 480.
        await using var localPicker = await a.CallAsync("8000", "1002", switchA.Intercepts);
        await localPicker.Closed.WaitAsync(Timeout);
        Assert.Contains(localPicker.Executions, e => e is { Application: "respond", Argument: "480 No Call To Pick Up" });
        Assert.DoesNotContain(localPicker.Executions, e => e.Application == "intercept");

        // The moved INVITE reaches node A with the call's name: the pickup runs there, locally.
        await using var moved = await FakeCall.DialAsync(a.CallEndpoint, new FakeCallSetup
        {
            Destination = "8000",
            SipUser = "1003",
            Switch = a.FreeSwitch,
            Variables = new Dictionary<string, string> { ["sip_h_X-Eslcallflow-Pickup"] = $"caller-on-a/{pickerOnB.Uuid}" },
        }, switchA.Intercepts);
        await moved.Closed.WaitAsync(Timeout);
        Assert.Contains(moved.Executions, e => e is { Application: "intercept", Argument: "caller-on-a" });
        Assert.Equal(1, switchA.InterceptsByCaller["caller-on-a"]);
        // Counted once the picker's flow is over, which may be a moment after its socket closed.
        await Eventually.True(() => a.MetricsAsync().Result.Contains("eslcallflow_pickups_total{outcome=\"picked_up\"} 1", StringComparison.Ordinal), Timeout);
        // The won claim is kept, under the moved picker's name, so pickers everywhere skip the call.
        Assert.InRange(await redis.PttlAsync("eslcallflow:claim:caller-on-a"), 60_000, 120_000);
        await a.WaitForRingingAsync(0);
        await Eventually.True(() => redis.CommandAsync("GET eslcallflow:leg:" + leg).Result.StartsWith("$-1", StringComparison.Ordinal), Timeout);
    }

    [NeedsToolFact("redis-server")]
    public async Task With_Redis_down_a_node_picks_up_its_own_calls_and_sees_no_others()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await RunningDaemon.StartAsync(null, Node(redis, "a", 5080));
        await using var b = await RunningDaemon.StartAsync(null, Node(redis, "b", 5082));
        var switchA = new SimulatedSwitch(a.FreeSwitch);
        var switchB = new SimulatedSwitch(b.FreeSwitch);
        await switchA.RingPlainAsync("caller-on-a", "1001");
        await switchB.RingPlainAsync("caller-on-b", "1002");
        await a.WaitForRingingAsync(1);
        await b.WaitForRingingAsync(1);
        await redis.StopAsync();

        await using var picker = await b.CallAsync("8000", "1003", switchB.Intercepts);
        await picker.Closed.WaitAsync(Timeout);
        Assert.Contains(picker.Executions, e => e is { Application: "intercept", Argument: "caller-on-b" });
        Assert.DoesNotContain(picker.Executions, e => e.Application == "redirect");

        await using var second = await b.CallAsync("8000", "1006", switchB.Intercepts);
        await second.Closed.WaitAsync(Timeout);
        Assert.Contains(second.Executions, e => e is { Application: "respond", Argument: "480 No Call To Pick Up" });
    }
}
