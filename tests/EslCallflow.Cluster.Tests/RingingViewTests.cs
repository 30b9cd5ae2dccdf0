namespace EslCallflow.Cluster.Tests;

/// <summary>Each node publishes what rings on it; every node sees all of it, oldest first; against a real redis-server.</summary>
public sealed class RingingViewTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [RedisFact]
    public async Task A_picker_on_either_node_sees_every_nodes_ringing_legs_on_its_devices_oldest_first()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));

        a.Publisher.Ringing(a.Leg("leg-a1", "caller-a1", "1001", since: 3_000));
        b.Publisher.Ringing(b.Leg("leg-b1", "caller-b1", "1001", since: 1_000));
        b.Publisher.Ringing(b.Leg("leg-b2", "caller-b2", "1002", since: 2_000));
        a.Publisher.Ringing(a.Leg("leg-a9", "caller-a9", "1009", since: 500)); // not in scope
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.True(await b.Publisher.FlushedAsync(Within));

        foreach (var node in new[] { a, b })
        {
            var seen = await node.Store.RingingOnAsync(["id:1001", "sip:1002@example.com"]);
            Assert.NotNull(seen);
            Assert.Equal(["leg-b1", "leg-b2", "leg-a1"], seen.Select(l => l.Entry.LegUuid));
            Assert.Equal(["sip:127.0.0.1:5082", "sip:127.0.0.1:5082", "sip:127.0.0.1:5081"], seen.Select(l => l.NodeSipUri));
            Assert.Equal(["b", "b", "a"], seen.Select(l => l.Entry.NodeId));
            Assert.Equal(new RingingEntry("leg-b1", "caller-b1", "1001", "1001@example.com", ["id:1001", "sip:1001@example.com"], 1_000, "b"), seen[0].Entry with { DeviceKeys = seen[0].Entry.DeviceKeys }, new EntryComparer());
        }
    }

    [RedisFact]
    public async Task An_answered_or_hung_up_leg_leaves_the_view_at_once_and_the_store_keeps_nothing_of_it()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));

        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        a.Publisher.Ringing(a.Leg("leg-2", "caller-2", "1001", since: 2_000));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Equal(2, (await b.Store.RingingOnAsync(["id:1001"]))!.Count);

        a.Publisher.Stopped("leg-1");
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Equal(["leg-2"], (await b.Store.RingingOnAsync(["id:1001"]))!.Select(l => l.Entry.LegUuid));
        Assert.Equal("$-1", (await redis.CommandAsync("GET eslcallflow:leg:leg-1")).Trim());
        Assert.Equal("*1\r\n$5\r\nleg-2", (await redis.CommandAsync("ZRANGE eslcallflow:ringing:id:1001 0 -1")).Trim());
        Assert.Equal("*1\r\n$5\r\nleg-2", (await redis.CommandAsync("SMEMBERS eslcallflow:nodelegs:a")).Trim());
    }

    [RedisFact]
    public async Task Legs_publish_with_their_lifetime_and_the_heartbeat_renews_it()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        options.LegTtl = TimeSpan.FromSeconds(2);
        options.NodeTtl = TimeSpan.FromSeconds(2);
        await using var a = await TestNode.StartAsync(options);

        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.InRange(await redis.PttlAsync("eslcallflow:leg:leg-1"), 1, 2_000);
        Assert.InRange(await redis.PttlAsync("eslcallflow:node:a"), 1, 2_000);
        // Three lifetimes later it is still there: the node renews it while it rings.
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.InRange(await redis.PttlAsync("eslcallflow:leg:leg-1"), 1, 2_000);
        Assert.Single((await a.Store.RingingOnAsync(["id:1001"]))!);
    }

    private sealed class EntryComparer : IEqualityComparer<RingingEntry>
    {
        public bool Equals(RingingEntry? x, RingingEntry? y) =>
            x is not null && y is not null && x.LegUuid == y.LegUuid && x.CallerUuid == y.CallerUuid && x.DeviceId == y.DeviceId
            && x.SipIdentity == y.SipIdentity && x.RingingSince == y.RingingSince && x.NodeId == y.NodeId && x.DeviceKeys.SequenceEqual(y.DeviceKeys);

        public int GetHashCode(RingingEntry obj) => obj.LegUuid.GetHashCode(StringComparison.Ordinal);
    }
}
