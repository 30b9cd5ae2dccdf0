namespace EslCallflow.Cluster.Tests;

/// <summary>State that ring-group features share across nodes; against a real redis-server.</summary>
public sealed class FeatureStateTests
{
    [RedisFact]
    public async Task Two_nodes_advancing_one_rotation_pointer_never_hand_out_the_same_value()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));

        var values = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).State.IncrementAsync("ring_group:sales:next")));
        Assert.Equal(Enumerable.Range(1, 40).Select(v => (long?)v), values.Order());
    }

    [RedisFact]
    public async Task A_value_set_on_one_node_is_read_on_the_other_until_it_is_deleted_or_expires()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));

        Assert.True(await a.State.SetAsync("ring_group:sales:member:1001", "logged_out"));
        Assert.Equal("logged_out", await b.State.GetAsync("ring_group:sales:member:1001"));
        Assert.True(await b.State.DeleteAsync("ring_group:sales:member:1001"));
        Assert.Null(await a.State.GetAsync("ring_group:sales:member:1001"));

        Assert.True(await a.State.SetAsync("short", "1", TimeSpan.FromMilliseconds(300)));
        await Eventually.ValueAsync(() => b.State.GetAsync("short"), v => v is null, TimeSpan.FromSeconds(5), "the value's expiry");
        await Assert.ThrowsAsync<ArgumentException>(() => a.State.GetAsync("has space"));
    }

    [RedisFact]
    public async Task With_the_store_down_state_is_unavailable_at_once()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await redis.StopAsync();
        await Eventually.ValueAsync(() => Task.FromResult(a.Connection.IsUp), up => !up, TimeSpan.FromSeconds(5), "the node noticing the store gone");
        Assert.Null(await a.State.IncrementAsync("x"));
        Assert.False(await a.State.SetAsync("x", "1"));
        Assert.Null(await a.State.GetAsync("x"));
    }
}
