namespace EslCallflow.Cluster.Tests;

/// <summary>The group pickups' scopes a node publishes for the proxy (pickup:&lt;number&gt;), against a real redis-server.</summary>
public sealed class PickupScopeTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [RedisFact]
    public async Task Scopes_are_published_renewed_replaced_on_reload_and_written_again_when_the_store_loses_them()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        options.NodeTtl = TimeSpan.FromSeconds(2);
        await using var a = await TestNode.StartAsync(options);
        a.Publisher.PickupScopes(new Dictionary<string, IReadOnlyCollection<string>>
        {
            ["8000"] = ["id:1001", "sip:1001@example.com", "id:1002"],
            ["8001"] = ["id:1003"],
            ["8002"] = [], // a scope with no device: nothing to look up
        });
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Equal(["id:1001", "id:1002", "sip:1001@example.com"], await MembersAsync(redis, "eslcallflow:pickup:8000"));
        Assert.Equal(["id:1003"], await MembersAsync(redis, "eslcallflow:pickup:8001"));
        Assert.Equal(["8000", "8001"], await MembersAsync(redis, "eslcallflow:pickups"));
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:pickup:8002"));

        // Renewed with the heartbeat: still there well after NodeTtl.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.InRange(await redis.PttlAsync("eslcallflow:pickup:8000"), 1, 2_000);

        // A reload: 8001 is gone from the configuration, 8000's scope changed.
        a.Publisher.PickupScopes(new Dictionary<string, IReadOnlyCollection<string>> { ["8000"] = ["id:1002"] });
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Equal(["id:1002"], await MembersAsync(redis, "eslcallflow:pickup:8000"));
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:pickup:8001"));
        Assert.Equal(["8000"], await MembersAsync(redis, "eslcallflow:pickups"));

        // The store lost it (restarted empty, a failover): the next renewal finds it gone and writes it again.
        await redis.CommandAsync("DEL eslcallflow:pickup:8000");
        await Eventually.ValueAsync(() => MembersAsync(redis, "eslcallflow:pickup:8000"), m => m.SequenceEqual(["id:1002"]), Within, "the lost scope written again");
    }

    [RedisFact]
    public async Task A_scope_no_node_renews_expires()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        options.NodeTtl = TimeSpan.FromSeconds(1);
        var a = await TestNode.StartAsync(options);
        a.Publisher.PickupScopes(new Dictionary<string, IReadOnlyCollection<string>> { ["8000"] = ["id:1001"] });
        Assert.True(await a.Publisher.FlushedAsync(Within));
        await a.DisposeAsync();
        await Eventually.ValueAsync(() => redis.PttlAsync("eslcallflow:pickup:8000"), ttl => ttl == -2, Within, "the scope expiring");
    }

    private static async Task<string[]> MembersAsync(RedisServer redis, string key) =>
        // RESP: "*N", then "$len" and the member for each.
        [.. (await redis.CommandAsync("SMEMBERS " + key)).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('*' or '$')).Order(StringComparer.Ordinal)];
}
