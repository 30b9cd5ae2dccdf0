using Microsoft.Extensions.Logging;

namespace EslCallflow.Cluster.Tests;

/// <summary>What the store does when a node, its daemon or Redis itself goes away; against a real redis-server.</summary>
public sealed class FailureTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [RedisFact]
    public async Task A_dead_nodes_legs_leave_every_view_within_their_lifetime_and_their_keys_expire()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        options.LegTtl = TimeSpan.FromSeconds(2);
        options.NodeTtl = TimeSpan.FromSeconds(60); // the heartbeat outlives the legs: only the legs' own lifetime acts here
        var a = await TestNode.StartAsync(options);
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));
        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Single((await b.Store.RingingOnAsync(["id:1001"]))!);

        await a.DisposeAsync(); // killed: nothing deleted, nothing renewed
        var gone = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.ValueAsync(() => b.Store.RingingOnAsync(["id:1001"]), legs => legs is { Count: 0 }, TimeSpan.FromSeconds(15), "the dead node's leg leaving the view");
        // By the leg's own 2 s lifetime, not the heartbeat's 60 s; the upper bound leaves room for a loaded 2-core CI machine.
        Assert.InRange(gone.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:leg:leg-1"));
        // The query removed the dangling member from the device's set.
        Assert.Equal("*0", (await redis.CommandAsync("ZRANGE eslcallflow:ringing:id:1001 0 -1")).Trim());
    }

    [RedisFact]
    public async Task A_node_whose_heartbeat_stops_has_its_legs_hidden_before_they_expire()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        options.LegTtl = TimeSpan.FromSeconds(60);
        options.NodeTtl = TimeSpan.FromSeconds(2);
        var a = await TestNode.StartAsync(options);
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));
        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        b.Publisher.Ringing(b.Leg("leg-2", "caller-2", "1001", since: 2_000));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.True(await b.Publisher.FlushedAsync(Within));
        Assert.Equal(2, (await b.Store.RingingOnAsync(["id:1001"]))!.Count);

        await a.DisposeAsync();
        var seen = await Eventually.ValueAsync(() => b.Store.RingingOnAsync(["id:1001"]), legs => legs is { Count: 1 }, TimeSpan.FromSeconds(5), "the silent node's leg leaving the view");
        Assert.Equal("leg-2", seen![0].Entry.LegUuid);
        Assert.InRange(await redis.PttlAsync("eslcallflow:leg:leg-1"), 50_000, 60_000); // still stored, offered to nobody
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:node:a"));
    }

    [RedisFact]
    public async Task A_node_whose_switch_is_out_of_reach_withdraws_its_heartbeat_at_once_and_publishes_again_once_rebuilt()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));
        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        b.Publisher.Ringing(b.Leg("leg-2", "caller-2", "1001", since: 2_000));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.True(await b.Publisher.FlushedAsync(Within));

        // The daemon's channel feed dropped (FreeSWITCH killed): node a's calls leave every view now, not after NodeTtl.
        var withdrawn = System.Diagnostics.Stopwatch.StartNew();
        a.Publisher.Withdraw();
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Equal(["leg-2"], (await b.Store.RingingOnAsync(["id:1001"]))!.Select(l => l.Entry.LegUuid));
        Assert.InRange(withdrawn.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:node:a"));
        // Heartbeats (every 200 ms here) do not bring it back while the switch is away.
        await Task.Delay(600);
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:node:a"));
        Assert.Single(a.Log, l => l.EventId == 7021);

        // The switch is back and the daemon rebuilt its view from it: what rings now is offered again.
        a.Publisher.ReplaceAll([a.Leg("leg-3", "caller-3", "1001", since: 3_000)]);
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Equal(["leg-2", "leg-3"], (await b.Store.RingingOnAsync(["id:1001"]))!.Select(l => l.Entry.LegUuid));
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:leg:leg-1"));
    }

    [RedisFact]
    public async Task A_restarted_daemon_publishes_what_rings_now_and_deletes_what_it_published_before_that_rings_no_more()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        var before = await TestNode.StartAsync(options);
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));
        before.Publisher.Ringing(before.Leg("leg-ended", "caller-1", "1001", since: 1_000));
        before.Publisher.Ringing(before.Leg("leg-still", "caller-2", "1001", since: 2_000));
        b.Publisher.Ringing(b.Leg("leg-on-b", "caller-3", "1001", since: 3_000));
        Assert.True(await before.Publisher.FlushedAsync(Within));
        Assert.True(await b.Publisher.FlushedAsync(Within));
        await before.DisposeAsync(); // killed while both rang; leg-ended hangs up while it is down

        await using var after = await TestNode.StartAsync(options);
        // What the daemon rebuilt from `show channels`: leg-still rings, and a call that started meanwhile.
        after.Publisher.ReplaceAll([after.Leg("leg-still", "caller-2", "1001", since: 2_000), after.Leg("leg-new", "caller-4", "1001", since: 4_000)]);
        Assert.True(await after.Publisher.FlushedAsync(Within));

        Assert.Equal(["leg-still", "leg-on-b", "leg-new"], (await b.Store.RingingOnAsync(["id:1001"]))!.Select(l => l.Entry.LegUuid));
        Assert.Equal(-2, await redis.PttlAsync("eslcallflow:leg:leg-ended"));
        Assert.DoesNotContain("leg-ended", await redis.CommandAsync("SMEMBERS eslcallflow:nodelegs:a"), StringComparison.Ordinal);
        Assert.Contains("leg-on-b", await redis.CommandAsync("SMEMBERS eslcallflow:nodelegs:b"), StringComparison.Ordinal); // the other node untouched
    }

    [RedisFact]
    public async Task Redis_stopped_and_started_empty_the_nodes_say_so_once_each_way_and_publish_everything_again()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));
        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        a.Publisher.Ringing(a.Leg("leg-2", "caller-2", "1001", since: 2_000));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Equal(0, a.Connection.Outages);

        await redis.StopAsync();
        await Eventually.ValueAsync(() => Task.FromResult(a.Connection.IsUp || b.Connection.IsUp), up => !up, Within, "both nodes noticing the store gone");
        // While it is down the node goes on: a leg ends, another starts; nothing waits for the store.
        var started = System.Diagnostics.Stopwatch.StartNew();
        a.Publisher.Stopped("leg-1");
        a.Publisher.Ringing(a.Leg("leg-3", "caller-3", "1001", since: 3_000));
        Assert.True(started.Elapsed < TimeSpan.FromMilliseconds(50));
        Assert.Null(await b.Store.RingingOnAsync(["id:1001"]));
        await Task.Delay(TimeSpan.FromSeconds(1)); // heartbeats fail meanwhile: still one warning

        await redis.StartAgainAsync(); // same port, empty
        await a.UpAsync(TimeSpan.FromSeconds(30));
        await b.UpAsync(TimeSpan.FromSeconds(30));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        var seen = await Eventually.ValueAsync(() => b.Store.RingingOnAsync(["id:1001"]), legs => legs is { Count: 2 }, Within, "the republished legs");
        Assert.Equal(["leg-2", "leg-3"], seen!.Select(l => l.Entry.LegUuid));

        foreach (var node in new[] { a, b })
        {
            Assert.Equal(1, node.Connection.Outages);
            Assert.Single(node.Log, l => l is { Level: LogLevel.Warning, EventId: 7002 });
            Assert.Single(node.Log, l => l is { Level: LogLevel.Information, EventId: 7003 });
        }
        Assert.True(a.Publisher.Republished >= 2, $"republished {a.Publisher.Republished} times"); // at the start, and after the outage
    }

    [RedisFact]
    public async Task A_node_started_while_Redis_is_down_runs_without_it_and_publishes_once_it_comes()
    {
        var port = RedisServer.FreePort();
        var options = new ClusterOptions
        {
            NodeId = "a",
            NodeSipUri = "sip:127.0.0.1:5081",
            ProxyUri = "sip:127.0.0.1:5060",
            Redis = $"127.0.0.1:{port},connectTimeout=500",
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        };
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var a = await TestNode.StartAsync(options, waitUntilUp: false);
        Assert.True(started.Elapsed < TimeSpan.FromMilliseconds(200), $"starting took {started.Elapsed.TotalMilliseconds:F0} ms");
        a.Publisher.Ringing(a.Leg("leg-1", "caller-1", "1001", since: 1_000));
        await a.Connection.Connecting;
        Assert.False(a.Connection.IsUp);
        Assert.Equal(ClaimOutcome.Unavailable, await a.Store.TryClaimAsync("caller-1", "picker"));
        Assert.Single(a.Log, l => l is { Level: LogLevel.Warning, EventId: 7002 });

        await using var redis = await RedisServer.StartOnAsync(port);
        await a.UpAsync(TimeSpan.FromSeconds(30));
        Assert.True(await a.Publisher.FlushedAsync(Within));
        Assert.Single((await a.Store.RingingOnAsync(["id:1001"]))!);
    }
}
