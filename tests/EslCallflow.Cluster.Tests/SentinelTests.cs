namespace EslCallflow.Cluster.Tests;

/// <summary>The store behind Redis Sentinel (README, "Running several switches"): a failover of the primary is a reconnect.</summary>
public sealed class SentinelTests
{
    [RedisFact]
    public async Task Through_Sentinel_a_node_follows_a_failover_to_the_replica_and_publishes_its_legs_there()
    {
        await using var primary = await RedisServer.StartAsync();
        await using var replica = await RedisServer.StartAsync("--replicaof", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var sentinel = await RedisServer.StartSentinelAsync(primary.Port, "eslcallflow");
        // Sentinel learns of the replica from the primary.
        await Eventually.ValueAsync(() => sentinel.CommandAsync("SENTINEL REPLICAS eslcallflow"), r => r.Contains(replica.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), TimeSpan.FromSeconds(20), "Sentinel finding the replica");

        var options = TestNode.OptionsFor(primary, "a", 5081);
        options.Redis = $"127.0.0.1:{sentinel.Port},serviceName=eslcallflow,connectTimeout=1000";
        await using var a = await TestNode.StartAsync(options);
        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        Assert.True(await a.Publisher.FlushedAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("leg-1", await primary.CommandAsync("GET eslcallflow:leg:leg-1"), StringComparison.Ordinal);

        await primary.StopAsync();
        // Sentinel promotes the replica; the node reconnects to it and publishes again what rings (a failover may
        // lose the last writes: Redis replicates asynchronously).
        a.Publisher.Ringing(a.Leg("leg-2", "caller-2", "1001", since: 2_000));
        var seen = await Eventually.ValueAsync(() => a.Store.RingingOnAsync(["id:1001"]), legs => legs is { Count: 2 }, TimeSpan.FromSeconds(60), "the legs on the promoted replica");
        Assert.Equal(["leg-1", "leg-2"], seen!.Select(l => l.Entry.LegUuid));
        Assert.Contains("role:master", await replica.CommandAsync("INFO replication"), StringComparison.Ordinal);
    }
}
