namespace EslCallflow.Cluster.Tests;

/// <summary>One claim per ringing call across the cluster, against a real redis-server.</summary>
public sealed class ClaimTests
{
    [RedisFact]
    public async Task Ten_pickers_on_two_nodes_racing_for_one_call_leave_exactly_one_claim_won()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));
        for (var round = 0; round < 20; round++)
        {
            var call = $"caller-{round}";
            using var start = new ManualResetEventSlim();
            var pickers = Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
            {
                start.Wait();
                var node = i % 2 == 0 ? a : b;
                return (Picker: $"picker-{i}", Outcome: await node.Store.TryClaimAsync(call, $"picker-{i}"));
            })).ToList();
            start.Set();
            var outcomes = await Task.WhenAll(pickers);
            var winners = outcomes.Where(o => o.Outcome == ClaimOutcome.Won).ToList();
            Assert.Single(winners);
            Assert.All(outcomes.Where(o => o.Outcome != ClaimOutcome.Won), o => Assert.Equal(ClaimOutcome.HeldElsewhere, o.Outcome));
            // Both nodes agree on who holds it.
            var winnerNode = int.Parse(winners[0].Picker["picker-".Length..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0 ? a : b;
            Assert.True(await winnerNode.Store.HoldsClaimAsync(call, winners[0].Picker));
            Assert.False(await (winnerNode == a ? b : a).Store.HoldsClaimAsync(call, winners[0].Picker));
        }
    }

    [RedisFact]
    public async Task A_released_claim_can_be_won_again_but_only_its_holder_releases_it()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));

        Assert.Equal(ClaimOutcome.Won, await a.Store.TryClaimAsync("call-1", "picker-a"));
        Assert.Equal(ClaimOutcome.Won, await a.Store.TryClaimAsync("call-1", "picker-a")); // a retry by its holder
        await b.Store.ReleaseClaimAsync("call-1", "picker-a"); // b's picker-a is not a's: the value names the node
        await a.Store.ReleaseClaimAsync("call-1", "someone-else");
        Assert.Equal(ClaimOutcome.HeldElsewhere, await b.Store.TryClaimAsync("call-1", "picker-b"));

        await a.Store.ReleaseClaimAsync("call-1", "picker-a");
        Assert.Equal(ClaimOutcome.Won, await b.Store.TryClaimAsync("call-1", "picker-b"));
    }

    [RedisFact]
    public async Task A_claim_never_confirmed_expires_after_its_lifetime()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        options.ClaimTtl = TimeSpan.FromSeconds(1);
        await using var a = await TestNode.StartAsync(options);
        await using var b = await TestNode.StartAsync(TestNode.OptionsFor(redis, "b", 5082));

        Assert.Equal(ClaimOutcome.Won, await a.Store.TryClaimAsync("call-1", "picker-a"));
        Assert.Equal(ClaimOutcome.HeldElsewhere, await b.Store.TryClaimAsync("call-1", "picker-b"));
        await Eventually.ValueAsync(() => b.Store.TryClaimAsync("call-1", "picker-b"), o => o == ClaimOutcome.Won, TimeSpan.FromSeconds(5), "the unconfirmed claim's expiry");
        Assert.InRange(await redis.PttlAsync("eslcallflow:claim:call-1"), 1, 10_000); // b's claim carries b's own lifetime
    }

    [RedisFact]
    public async Task A_kept_claim_outlives_the_claim_lifetime()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = TestNode.OptionsFor(redis, "a", 5081);
        options.ClaimTtl = TimeSpan.FromSeconds(1);
        await using var a = await TestNode.StartAsync(options);

        Assert.Equal(ClaimOutcome.Won, await a.Store.TryClaimAsync("call-1", "picker-a"));
        await a.Store.KeepClaimAsync("call-1", "picker-a", TimeSpan.FromMinutes(2));
        Assert.InRange(await redis.PttlAsync("eslcallflow:claim:call-1"), 100_000, 120_000);
        Assert.True(await a.Store.HoldsClaimAsync("call-1", "picker-a"));
    }

    [RedisFact]
    public async Task With_the_store_down_a_claim_is_unavailable_at_once_not_after_a_reconnect()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await TestNode.StartAsync(TestNode.OptionsFor(redis, "a", 5081));
        await redis.StopAsync();
        await Eventually.ValueAsync(() => Task.FromResult(a.Connection.IsUp), up => !up, TimeSpan.FromSeconds(5), "the node noticing the store gone");

        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(ClaimOutcome.Unavailable, await a.Store.TryClaimAsync("call-1", "picker-a"));
        Assert.Null(await a.Store.RingingOnAsync(["id:1001"]));
        Assert.Null(await a.Store.HoldsClaimAsync("call-1", "picker-a"));
        Assert.True(started.Elapsed < TimeSpan.FromMilliseconds(400), $"three questions to a store that is down took {started.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(3, a.Store.Unavailable);
    }
}
