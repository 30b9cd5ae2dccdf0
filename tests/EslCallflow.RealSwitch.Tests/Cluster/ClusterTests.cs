using System.Globalization;
using System.Text.RegularExpressions;
using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests.Cluster;

/// <summary>
/// Several switches on the two-node rig (<see cref="ClusterRig"/>): ring groups reach phones registered at the proxy,
/// pickups move to the node where the call rings, exactly one picker wins, and a node's own calls survive a daemon
/// restart and Redis going away. The bundled 7000 rings sales (1001, 1002, 1003, 1006), 8000 picks up in sales, *7
/// + extension picks up there.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ClusterTests(ClusterRig rig, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly string[] Sales = ["1001", "1002", "1003", "1006"];

    [GeneratedRegex(@"^(\w+):(\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex InfoLine();

    private async Task RunAsync(Func<CancellationToken, Task> body)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await rig.ResetAsync(cancellation.Token);
        var marks = (rig.DaemonA.Log.Mark(), rig.DaemonB.Log.Mark(), rig.KamailioLog.Mark());
        try
        {
            await body(cancellation.Token);
        }
        catch
        {
            output.WriteLine("--- daemon A\n" + rig.DaemonA.Log.Tail(marks.Item1, 60));
            output.WriteLine("--- daemon B\n" + rig.DaemonB.Log.Tail(marks.Item2, 60));
            output.WriteLine("--- kamailio\n" + rig.KamailioLog.Tail(marks.Item3, 40));
            foreach (var phone in rig.AllPhones)
            {
                output.WriteLine($"--- phone {phone.User} ({phone.Contact})\n" + string.Join("\n", phone.Trace.TakeLast(30)));
            }
            throw;
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await rig.NodeA.HangUpAllAsync(TimeSpan.FromSeconds(10), cleanup.Token);
            await rig.NodeB.HangUpAllAsync(TimeSpan.FromSeconds(10), cleanup.Token);
        }
    }

    /// <summary>Rings sales from a caller on <paramref name="node"/> and waits until every sales phone (registered at the proxy) rings.</summary>
    private async Task<(OutgoingCall Caller, IncomingCall[] Ringing)> RingSalesOnAsync(string node, bool inStore = true)
    {
        var caller = rig.DirectPhone("1005", node).Dial("7000");
        var ringing = await Task.WhenAll(Sales.Select(u => rig.Phone(u).InviteAsync(Wait)));
        // Ringing as a picker anywhere sees it: the node's daemon follows the four legs and they are in the store.
        var daemon = node == "A" ? rig.DaemonA : rig.DaemonB;
        var deadline = DateTime.UtcNow + Wait;
        while ((await daemon.MetricsAsync(CancellationToken.None)).Value("eslcallflow_ringing_legs") < Sales.Length
            || (inStore && (await rig.Redis.CommandAsync("KEYS eslcallflow:leg:*")).Split('\n').Count(l => l.StartsWith("eslcallflow:leg:", StringComparison.Ordinal)) < Sales.Length))
        {
            Assert.True(DateTime.UtcNow < deadline, $"node {node}'s ringing legs never showed in its daemon and the store");
            await Task.Delay(10);
        }
        return (caller, ringing);
    }

    private static TimeSpan PickupTime(OutgoingCall picker) => picker.AnsweredAt!.Value - picker.InviteSentAt;

    private async Task<string> DaemonLineAsync(Switch.DaemonInstance daemon, long mark, string part)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            if (daemon.Log.LinesFrom(mark).FirstOrDefault(l => l.Contains(part, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }
            Assert.True(DateTime.UtcNow < deadline, $"no daemon line with '{part}'");
            await Task.Delay(20);
        }
    }

    [ClusterFact]
    public Task A_ring_group_on_node_A_rings_the_phones_registered_at_the_proxy_with_their_presence_and_one_answers() => RunAsync(async ct =>
    {
        var (caller, ringing) = await RingSalesOnAsync("A");

        // Every INVITE came through the proxy (it record-routed it) from node A's daemon's ring group.
        Assert.All(ringing, i => Assert.Contains($"127.0.0.1:{rig.ProxyPort.ToString(CultureInfo.InvariantCulture)}", i.Invite["Record-Route"] ?? string.Empty, StringComparison.Ordinal));
        // BLF: the legs carry the phones' presence, as the directory's dial-string gives a leg on one switch.
        // (show channels reads FreeSWITCH's core database, which trails the channels: asked until it shows them.)
        var deadline = DateTime.UtcNow + Wait;
        var channels = string.Empty;
        while (!Sales.All(u => channels.Contains($"\"presence_id\":\"{u}@127.0.0.1\"", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "node A's legs do not carry the phones' presence_id: " + channels);
            await Task.Delay(100, ct);
            channels = await rig.NodeA.ApiAsync("show channels as json", ct);
        }

        ringing[1].Answer();
        await caller.AnsweredAsync(Wait);
        foreach (var other in ringing.Where((_, i) => i != 1))
        {
            await other.Phone.WaitAsync(() => other.CancelledAt is null ? null : other, Wait, $"CANCEL at {other.Phone.User}", cancellationToken: ct);
        }
        await caller.HangUpAsync(ct);
        await ringing[1].Phone.WaitAsync(() => ringing[1].ByeReceivedAt is null ? null : ringing[1], Wait, "BYE through the proxy at the phone that answered", cancellationToken: ct);
    });

    [ClusterFact]
    public Task A_pickup_landing_on_node_B_answers_the_call_ringing_on_node_A_and_takes_about_as_long_as_a_local_one() => RunAsync(async ct =>
    {
        const int Rounds = 6;
        var crossNode = new List<double>();
        var local = new List<double>();
        var statsBefore = await RedisStatsAsync();
        var started = DateTime.UtcNow;
        for (var round = 0; round < Rounds * 2; round++)
        {
            // Interleaved: the call rings on A (picker moved from B to A), then on B (picker local on B).
            var node = round % 2 == 0 ? "A" : "B";
            var markA = rig.DaemonA.Log.Mark();
            var markB = rig.DaemonB.Log.Mark();
            var (caller, ringing) = await RingSalesOnAsync(node);
            var picker = rig.Phone("1004").Dial("*71001");
            await picker.AnsweredAsync(Wait);
            await caller.AnsweredAsync(Wait);
            Assert.DoesNotContain(picker.Responses, r => r.Code is >= 300 and < 400); // the phone never sees the redirect
            foreach (var leg in ringing)
            {
                await leg.Phone.WaitAsync(() => leg.CancelledAt is null ? null : leg, Wait, $"CANCEL at {leg.Phone.User}", cancellationToken: ct);
            }
            if (node == "A")
            {
                output.WriteLine($"round {round}: picker {PickupTime(picker).TotalMilliseconds:F1} ms; daemon B: " + string.Join(" | ", rig.DaemonB.Log.LinesFrom(markB).Where(l => l.Contains("*71001", StringComparison.Ordinal) || l.Contains("moving", StringComparison.Ordinal)).Select(l => l[..Math.Min(l.Length, 40)])) + "; daemon A: " + string.Join(" | ", rig.DaemonA.Log.LinesFrom(markA).Where(l => l.Contains("*71001", StringComparison.Ordinal) || l.Contains("picked up", StringComparison.Ordinal)).Select(l => l[..Math.Min(l.Length, 40)])));
                await DaemonLineAsync(rig.DaemonB, markB, "moving the pickup there");
                await DaemonLineAsync(rig.DaemonA, markA, "outcome picked up");
                crossNode.Add(PickupTime(picker).TotalMilliseconds);
            }
            else
            {
                await DaemonLineAsync(rig.DaemonB, markB, "outcome picked up");
                local.Add(PickupTime(picker).TotalMilliseconds);
            }
            await picker.HangUpAsync(ct);
            await caller.Phone.WaitAsync(() => caller.ByeReceivedAt is null ? null : caller, Wait, "the caller's BYE after the picker hung up", cancellationToken: ct);
            using var between = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await rig.ResetAsync(between.Token);
        }
        var statsAfter = await RedisStatsAsync();
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        output.WriteLine($"pickup time, picker's INVITE to its 200 OK (ms): cross-node median {Median(crossNode):F1} [{string.Join(", ", crossNode.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}]; local median {Median(local):F1} [{string.Join(", ", local.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}]");
        output.WriteLine($"redis over {Rounds * 2} calls in {seconds:F1} s (heartbeats included): {statsAfter["total_commands_processed"] - statsBefore["total_commands_processed"]} commands, {statsAfter["total_net_input_bytes"] - statsBefore["total_net_input_bytes"]} bytes in, {statsAfter["total_net_output_bytes"] - statsBefore["total_net_output_bytes"]} bytes out");
        output.WriteLine($"load: {File.ReadAllText("/proc/loadavg").Trim()}");
    });

    [ClusterFact]
    public Task Group_pickup_from_a_phone_landing_on_node_B_answers_the_call_ringing_on_node_A() => RunAsync(async ct =>
    {
        var (markA, markB) = (rig.DaemonA.Log.Mark(), rig.DaemonB.Log.Mark());
        var (caller, _) = await RingSalesOnAsync("A");
        var picker = rig.Phone("1006").Dial("8000");
        await picker.AnsweredAsync(Wait);
        await caller.AnsweredAsync(Wait);
        await DaemonLineAsync(rig.DaemonB, markB, "moving the pickup there");
        await DaemonLineAsync(rig.DaemonA, markA, "outcome picked up");
    });

    [ClusterFact]
    public Task Ten_pickers_over_both_nodes_racing_for_one_call_leave_exactly_one_winner() => RunAsync(async ct =>
    {
        var markA = rig.DaemonA.Log.Mark();
        var (caller, _) = await RingSalesOnAsync("A");
        string[] users = ["1002", "1003", "1004", "1005", "1006"];
        var pickers = users.Select(u => rig.Phone(u)).Concat(users.Select(u => rig.DirectPhone(u, "A"))).ToList();
        Assert.Equal(10, pickers.Count);

        var calls = pickers.Select(p => p.Dial("*71001")).ToList();
        var finals = await Task.WhenAll(calls.Select(c => c.FinalAsync(Wait)));

        output.WriteLine("finals: " + string.Join(", ", finals.Select(f => f.Code)));
        Assert.Single(finals, f => f.Code == 200);
        Assert.All(finals.Where(f => f.Code != 200), f => Assert.InRange(f.Code, 400, 699));
        await caller.AnsweredAsync(Wait);
        // Every picker moved from B ran its pickup on A, where the call is: one outcome picked up in all.
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.Single(rig.DaemonA.Log.LinesFrom(markA), l => l.Contains("outcome picked up", StringComparison.Ordinal));
    });

    [ClusterFact]
    public Task Node_As_daemon_killed_while_its_call_rings_is_back_and_a_pickup_from_node_B_then_answers_the_call() => RunAsync(async ct =>
    {
        var (caller, ringing) = await RingSalesOnAsync("A");
        rig.DaemonA.Kill();
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.All(ringing, r => Assert.True(r.IsRinging, $"{r.Phone.User} stopped ringing when the daemon died"));

        await rig.DaemonA.StartAsync(TimeSpan.FromSeconds(90), ct);
        var markB = rig.DaemonB.Log.Mark();
        var picker = rig.Phone("1006").Dial("8000");
        await picker.AnsweredAsync(Wait);
        await caller.AnsweredAsync(Wait);
        await DaemonLineAsync(rig.DaemonB, markB, "moving the pickup there");
    });

    [ClusterFact]
    public Task With_Redis_stopped_a_node_still_picks_up_its_own_calls_and_says_degraded() => RunAsync(async ct =>
    {
        await rig.Redis.StopAsync();
        var deadline = DateTime.UtcNow + Wait;
        while ((await rig.DaemonB.HealthAsync(ct)).Body.Contains("\"clusterStore\":\"up\"", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "daemon B never saw Redis gone");
            await Task.Delay(50, ct);
        }
        Assert.Contains("\"status\":\"degraded\"", (await rig.DaemonB.HealthAsync(ct)).Body, StringComparison.Ordinal);

        var (caller, _) = await RingSalesOnAsync("B", inStore: false);
        var picker = rig.Phone("1004").Dial("*71001");
        await picker.AnsweredAsync(Wait);
        await caller.AnsweredAsync(Wait);
        Assert.Equal(0, (await rig.DaemonB.MetricsAsync(ct)).Value("eslcallflow_cluster_store_up"));
    });

    private async Task<Dictionary<string, long>> RedisStatsAsync() =>
        InfoLine().Matches(await rig.Redis.CommandAsync("INFO stats")).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
