using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// group_pickup on the real switch through the bundled 8000 (scope and approval: group sales = 1001, 1002,
/// 1003, 1006). 1006 picks up unless a test says otherwise; 1005 calls; 1004 (carol) is not in sales.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class GroupPickupTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    /// <summary>A pickup must bridge at once: intercept pre-answers the picker, so a wait is silence on the picker's ear.</summary>
    private static readonly TimeSpan PickupWithin = TimeSpan.FromSeconds(3);

    [RealSwitchFact]
    public Task Picks_up_a_ring_group_call_and_both_sides_log_and_count_it() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var caller = s.Phone("1005").Dial("7201");
        var ringing = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"));
        var callerUuid = await s.DaemonCallAsync("7201");
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var picker = s.Phone("1006").Dial("8000");

        var picked = await picker.AnsweredAsync(PickupWithin);
        await caller.AnsweredAsync(Soon);
        foreach (var leg in ringing)
        {
            await leg.CancelledAsync(Soon);
        }
        s.Report($"picker answered {Scene.Ms(picked.At - picker.InviteSentAt)} ms after its INVITE; caller got {string.Join(", ", caller.Responses)}");
        var pickerLine = await s.PickedUpLoggedAsync();
        s.Report($"picker side: {pickerLine}");
        Assert.Contains("dev1006", pickerLine, StringComparison.Ordinal);
        var callerLine = await s.CallLineAsync(callerUuid, Soon, "outcome");
        s.Report($"caller side: {callerLine}");
        Assert.Contains("answered by pickup", callerLine, StringComparison.Ordinal);
        Assert.Contains("dev1006", callerLine, StringComparison.Ordinal);

        var after = await s.MetricAsync(m => m.Calls("ring_group", "picked_up"), before.Calls("ring_group", "picked_up") + 1, Soon);
        var metrics = await s.MetricsAsync();
        s.Report($"metrics: ring_group picked_up {after}, ring_group missed {metrics.Calls("ring_group", "missed")}, group_pickup picked_up {metrics.Calls("group_pickup", "picked_up")}, pickups picked_up {metrics.Pickups("picked_up")}");
        Assert.Equal(
            (before.Calls("ring_group", "picked_up") + 1, before.Calls("ring_group", "missed"), before.Calls("group_pickup", "picked_up") + 1, before.Pickups("picked_up") + 1),
            (metrics.Calls("ring_group", "picked_up"), metrics.Calls("ring_group", "missed"), metrics.Calls("group_pickup", "picked_up"), metrics.Pickups("picked_up")));
        // A person talks before hanging up (DeadAirTests covers a picker gone at once): the bridge then ends the
        // caller itself, within moments, and the daemon has nothing to repair.
        await Task.Delay(TimeSpan.FromSeconds(1), s.Cancellation);
        await picker.HangUpAsync(s.Cancellation);
        await caller.Phone.WaitAsync(() => caller.ByeReceivedAt is not null ? caller : null, TimeSpan.FromMilliseconds(400), "the caller's BYE from the bridge once the picker hangs up");
        s.Report($"caller's BYE {Scene.Ms(caller.ByeReceivedAt!.Value - picker.ByeSentAt!.Value)} ms after the picker's");
        var ended = await s.CallLineAsync(callerUuid, Soon, "ended after");
        s.Report($"caller side: {ended}");
        Assert.Contains("dev1006 hung up", ended, StringComparison.Ordinal);
        Assert.DoesNotContain(s.DaemonLines(), l => l.Contains("left answered with nobody", StringComparison.Ordinal));
    });

    [RealSwitchFact]
    public Task Picks_up_a_call_rung_by_the_plain_dialplan() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var caller = s.Phone("1005").Dial("1001");
        var ringing = await s.Phone("1001").InviteAsync(Soon);
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var picker = s.Phone("1006").Dial("8000");

        var picked = await picker.AnsweredAsync(PickupWithin);
        await caller.AnsweredAsync(Soon);
        await ringing.CancelledAsync(Soon);
        var line = await s.PickedUpLoggedAsync();
        s.Report($"picker answered {Scene.Ms(picked.At - picker.InviteSentAt)} ms after its INVITE; daemon: {line}");
        await s.MetricAsync(m => m.Pickups("picked_up") + m.Pickups("caller_gone"), before.Pickups("picked_up") + before.Pickups("caller_gone") + 1, Soon);
        var metrics = await s.MetricsAsync();
        Assert.Equal((before.Pickups("picked_up") + 1, before.Pickups("caller_gone")), (metrics.Pickups("picked_up"), metrics.Pickups("caller_gone")));
        Assert.DoesNotContain(s.DaemonLines(), l => l.Contains("bridged nothing", StringComparison.Ordinal));
        await picker.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Picks_up_a_ring_group_call_whose_phones_send_early_media() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.RingsWithEarlyMedia;
        s.Phone("1002").Behaviour = PhoneBehaviour.RingsWithEarlyMedia;
        var caller = s.Phone("1005").Dial("7201");
        await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"));
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        await PicksUpAsync(s, caller);
    });

    [RealSwitchFact]
    public Task Picks_up_a_plain_dialplan_call_whose_phone_sends_early_media() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.RingsWithEarlyMedia;
        var caller = s.Phone("1005").Dial("1001");
        await s.Phone("1001").InviteAsync(Soon);
        await caller.Phone.WaitAsync(() => caller.Responses.FirstOrDefault(r => r.Code == 183), Soon, "the caller's 183 (early media bridged through)");
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        await PicksUpAsync(s, caller);
    });

    [RealSwitchFact]
    public Task Picks_up_a_call_whose_caller_heard_a_greeting_first() => fixture.RunAsync(output, async s =>
    {
        var caller = s.Phone("1005").Dial("7202");
        await Wire.InvitesAsync(TimeSpan.FromSeconds(8), s.Phone("1001"), s.Phone("1002"));
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        await PicksUpAsync(s, caller);
    });

    [RealSwitchFact]
    public Task A_picker_outside_the_approved_group_gets_403_before_any_answer() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var caller = s.Phone("1005").Dial("7201");
        var ringing = await s.Phone("1001").InviteAsync(Soon);
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var picker = s.Phone("1004").Dial("8000");

        var final = await picker.FinalAsync(Soon);
        s.Report($"1004 got {string.Join(", ", picker.Responses)} ({Scene.Ms(final.At - picker.InviteSentAt)} ms)");
        Assert.Equal(403, final.Code);
        Assert.DoesNotContain(picker.Responses, r => r.Code is 183 or 200);
        await s.DaemonLineAsync(Soon, "pickup refused", "dev1004");
        Assert.Equal(before.Pickups("refused") + 1, await s.MetricAsync(m => m.Pickups("refused"), before.Pickups("refused") + 1, Soon));
        Assert.True(ringing.IsRinging && !caller.IsEnded, "the ringing call must go on ringing");
        await caller.CancelAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Nothing_ringing_answers_480_at_once() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var picker = s.Phone("1006").Dial("8000");

        var final = await picker.FinalAsync(Soon);

        var took = final.At - picker.InviteSentAt;
        s.Report($"1006 got {final} {Scene.Ms(took)} ms after its INVITE");
        Assert.Equal((480, "No Call To Pick Up"), (final.Code, final.Reason));
        Assert.True(took < TimeSpan.FromSeconds(1), $"took {Scene.Ms(took)} ms");
        await s.DaemonLineAsync(Soon, "nothing to pick up", "dev1006");
        Assert.Equal(before.Pickups("nothing_to_pick_up") + 1, await s.MetricAsync(m => m.Pickups("nothing_to_pick_up"), before.Pickups("nothing_to_pick_up") + 1, Soon));
    });

    [RealSwitchFact]
    public Task The_call_ringing_longest_is_picked_up_first_and_the_next_pickup_takes_the_next() => fixture.RunAsync(output, async s =>
    {
        var older = s.Phone("1005").Dial("7201");
        await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"));
        await Task.Delay(TimeSpan.FromSeconds(1), s.Cancellation);
        var newer = s.Phone("1004").Dial("7203");
        var newerLeg = await s.Phone("1003").InviteAsync(Soon);
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var first = s.Phone("1006").Dial("8000");

        await first.AnsweredAsync(PickupWithin);
        await older.AnsweredAsync(Soon);
        Assert.True(newerLeg.IsRinging && !newer.IsAnswered, "the newer call must still ring");

        // 1002 rang for the older call, which was picked up, so it is free to pick up the newer one.
        var second = s.Phone("1002").Dial("8000");
        await second.AnsweredAsync(PickupWithin);
        await newer.AnsweredAsync(Soon);
        s.Report($"first pickup took 1005's call (rang {Scene.Seconds(older.AnsweredAt!.Value - older.InviteSentAt)} s), the second 1004's");
        await s.PickedUpLoggedAsync(index: 0);
        await s.PickedUpLoggedAsync(index: 1);
        await first.HangUpAsync(s.Cancellation);
        await second.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Two_pickers_at_the_same_moment_one_gets_the_call_the_other_480() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var caller = s.Phone("1005").Dial("7201");
        await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"));
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var a = s.Phone("1006").Dial("8000");
        var b = s.Phone("1003").Dial("8000");

        var finals = await Task.WhenAll(a.FinalAsync(TimeSpan.FromSeconds(10)), b.FinalAsync(TimeSpan.FromSeconds(10)));
        s.Report($"INVITEs {Scene.Ms((a.InviteSentAt - b.InviteSentAt).Duration())} ms apart; 1006 got {finals[0]}, 1003 got {finals[1]}");
        Assert.Equal([200, 480], finals.Select(f => f.Code).Order());
        await caller.AnsweredAsync(Soon);
        var endings = await Task.WhenAll(s.PickupEndingAsync(0), s.PickupEndingAsync(1));
        s.Report($"daemon: {endings[0]}\ndaemon: {endings[1]}");
        Assert.Single(endings, l => l.Contains("outcome picked up", StringComparison.Ordinal));
        Assert.Single(endings, l => l.Contains("nothing to pick up", StringComparison.Ordinal));
        await s.MetricAsync(m => m.Pickups("picked_up") + m.Pickups("nothing_to_pick_up"), before.Pickups("picked_up") + before.Pickups("nothing_to_pick_up") + 2, Soon);
        var metrics = await s.MetricsAsync();
        Assert.Equal((before.Pickups("picked_up") + 1, before.Pickups("nothing_to_pick_up") + 1), (metrics.Pickups("picked_up"), metrics.Pickups("nothing_to_pick_up")));
        await (finals[0].Code == 200 ? a : b).HangUpAsync(s.Cancellation);
    });

    /// <summary>1006 dials 8000 and is bridged to <paramref name="caller"/> at once: 200 within the pickup window, the caller answered, the daemon's outcome logged.</summary>
    private static async Task PicksUpAsync(Scene s, OutgoingCall caller)
    {
        var picker = s.Phone("1006").Dial("8000");

        var final = await picker.FinalAsync(TimeSpan.FromSeconds(10));
        s.Report($"picker got {string.Join(", ", picker.Responses)} ({Scene.Ms(final.At - picker.InviteSentAt)} ms); caller got {string.Join(", ", caller.Responses)}");
        Assert.Equal(200, final.Code);
        Assert.True(final.At - picker.InviteSentAt < PickupWithin, "the picker waited in silence");
        await caller.AnsweredAsync(Soon);
        await s.PickedUpLoggedAsync();
        await picker.HangUpAsync(s.Cancellation);
    }
}
