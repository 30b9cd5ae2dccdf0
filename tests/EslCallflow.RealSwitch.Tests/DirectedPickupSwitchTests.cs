using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// Directed pickup (group_pickup_feature) on the real switch: the bundled <c>*7</c> + extension (anyone may pick
/// up), and the suite's <c>*79</c> + SIP user (type device, approved group sales = 1001, 1002, 1003, 1006); both
/// reach the daemon through freeswitch-conf's <c>\*7\d+</c> route. 1005 calls, 1004 (carol) picks up.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class DirectedPickupSwitchTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PickupWithin = TimeSpan.FromSeconds(3);

    [RealSwitchFact]
    public Task Star7_and_an_extension_takes_the_call_ringing_there_and_leaves_an_older_one_elsewhere() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var older = s.Phone("1002").Dial("7203");
        var olderLeg = await s.Phone("1003").InviteAsync(Soon);
        await Task.Delay(TimeSpan.FromSeconds(1), s.Cancellation);
        var caller = s.Phone("1005").Dial("1001");
        var ringing = await s.Phone("1001").InviteAsync(Soon);
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var picker = s.Phone("1004").Dial("*71001");

        var picked = await picker.AnsweredAsync(PickupWithin);
        await caller.AnsweredAsync(Soon);
        await ringing.CancelledAsync(Soon);
        Assert.True(olderLeg.IsRinging && !older.IsAnswered, "the older call elsewhere must go on ringing");
        var line = await s.PickupEndingAsync(code: "*71001");
        s.Report($"picker answered {Scene.Ms(picked.At - picker.InviteSentAt)} ms after its INVITE; daemon: {line}");
        Assert.Contains("outcome picked up", line, StringComparison.Ordinal);
        Assert.Contains("dev1001", line, StringComparison.Ordinal);
        Assert.Equal(before.Calls("group_pickup_feature", "picked_up") + 1,
            await s.MetricAsync(m => m.Calls("group_pickup_feature", "picked_up"), before.Calls("group_pickup_feature", "picked_up") + 1, Soon));
        await picker.HangUpAsync(s.Cancellation);
        await older.CancelAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task The_star_star_target_a_BLF_key_is_offered_picks_up_too() => fixture.RunAsync(output, async s =>
    {
        var caller = s.Phone("1005").Dial("1001");
        var ringing = await s.Phone("1001").InviteAsync(Soon);
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var picker = s.Phone("1004").Dial("**1001");

        var picked = await picker.AnsweredAsync(PickupWithin);
        await caller.AnsweredAsync(Soon);
        await ringing.CancelledAsync(Soon);
        s.Report($"**1001 answered {Scene.Ms(picked.At - picker.InviteSentAt)} ms after its INVITE");
        Assert.Contains("outcome picked up", await s.PickupEndingAsync(code: "**1001"), StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1), s.Cancellation);
        await picker.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Star7_and_the_sales_ring_group_number_takes_the_ring_groups_call() => fixture.RunAsync(output, async s =>
    {
        var caller = s.Phone("1005").Dial("7000");
        var ringing = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"), s.Phone("1003"), s.Phone("1006"));
        var callerUuid = await s.DaemonCallAsync("7000");
        await Task.Delay(Wire.ReactionTime, s.Cancellation);

        var picker = s.Phone("1004").Dial("*77000");

        var picked = await picker.AnsweredAsync(PickupWithin);
        await caller.AnsweredAsync(Soon);
        foreach (var leg in ringing)
        {
            await leg.CancelledAsync(Soon);
        }
        var pickerLine = await s.PickupEndingAsync(code: "*77000");
        var callerLine = await s.CallLineAsync(callerUuid, Soon, "outcome");
        s.Report($"picker answered {Scene.Ms(picked.At - picker.InviteSentAt)} ms after its INVITE; picker side: {pickerLine}; caller side: {callerLine}");
        Assert.Contains("outcome picked up", pickerLine, StringComparison.Ordinal);
        Assert.Contains("answered by pickup", callerLine, StringComparison.Ordinal);
        Assert.Contains("dev1004", callerLine, StringComparison.Ordinal);
        await picker.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task An_extension_nobody_has_is_404_at_once() => fixture.RunAsync(output, async s =>
    {
        var picker = s.Phone("1004").Dial("*78888");

        var final = await picker.FinalAsync(Soon);

        var took = final.At - picker.InviteSentAt;
        s.Report($"1004 got {final} {Scene.Ms(took)} ms after its INVITE");
        Assert.Equal((404, "No Such Extension"), (final.Code, final.Reason));
        Assert.True(took < TimeSpan.FromSeconds(1), $"took {Scene.Ms(took)} ms");
        await s.DaemonLineAsync(Soon, "directed pickup", "8888");
    });

    [RealSwitchFact]
    public Task Nothing_ringing_at_that_extension_is_480_at_once() => fixture.RunAsync(output, async s =>
    {
        var caller = s.Phone("1005").Dial("7203");
        await s.Phone("1003").InviteAsync(Soon);

        var picker = s.Phone("1004").Dial("*71002");

        var final = await picker.FinalAsync(Soon);
        var took = final.At - picker.InviteSentAt;
        s.Report($"1004 got {final} {Scene.Ms(took)} ms after its INVITE while 1003 rang");
        Assert.Equal((480, "No Call To Pick Up"), (final.Code, final.Reason));
        Assert.True(took < TimeSpan.FromSeconds(1), $"took {Scene.Ms(took)} ms");
        Assert.False(caller.IsAnswered);
        await caller.CancelAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task A_picker_outside_the_approval_is_refused_with_403_before_any_answer() => fixture.RunAsync(output, async s =>
    {
        var caller = s.Phone("1005").Dial("1001");
        var ringing = await s.Phone("1001").InviteAsync(Soon);

        var picker = s.Phone("1004").Dial("*791001");

        var final = await picker.FinalAsync(Soon);
        s.Report($"1004 got {string.Join(", ", picker.Responses)} ({Scene.Ms(final.At - picker.InviteSentAt)} ms)");
        Assert.Equal(403, final.Code);
        Assert.DoesNotContain(picker.Responses, r => r.Code is 183 or 200);
        await s.DaemonLineAsync(Soon, "pickup refused", "dev1004");
        Assert.True(ringing.IsRinging && !caller.IsEnded, "the ringing call must go on ringing");
        await caller.CancelAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task A_BLF_subscriber_sees_the_phone_the_ring_group_rings_as_early_then_terminated() => fixture.RunAsync(output, async s =>
    {
        var watcher = s.Phone("1004");
        var subscribed = await watcher.SubscribeDialogAsync("1001", Soon);
        s.Report($"SUBSCRIBE answered {subscribed.StatusCode} {subscribed.Reason}");
        Assert.InRange(subscribed.StatusCode, 200, 299);

        var caller = s.Phone("1005").Dial("7000");
        var ringing = await s.Phone("1001").InviteAsync(Soon);
        var early = await NotifyAsync(watcher, ringing.ReceivedAt - TimeSpan.FromMilliseconds(200), "early");
        s.Report($"NOTIFY early {Scene.Ms(early.At - ringing.ReceivedAt)} ms after 1001's INVITE:\n{early.Request.Body}");
        Assert.Contains("entity=\"sip:1001@127.0.0.1\"", early.Request.Body, StringComparison.Ordinal);

        await caller.CancelAsync(s.Cancellation);
        await ringing.CancelledAsync(Soon);
        var terminated = await NotifyAsync(watcher, early.At, "terminated");
        s.Report($"NOTIFY terminated {Scene.Ms(terminated.At - ringing.CancelledAt!.Value)} ms after 1001's CANCEL; {watcher.Notifies.Count} NOTIFYs in all");
    });

    /// <summary>The first dialog NOTIFY at or after <paramref name="from"/> whose dialog-info body shows <paramref name="state"/>.</summary>
    private static async Task<(TimeSpan At, SipMessage Request)> NotifyAsync(SipPhone watcher, TimeSpan from, string state)
    {
        SipMessage request;
        try
        {
            request = await watcher.WaitAsync(
                () => watcher.Notifies.Where(n => n.At >= from && IsDialogState(n.Request, state)).Select(n => n.Request).FirstOrDefault(),
                Soon, $"a dialog NOTIFY at {watcher.User} showing state {state}");
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}; NOTIFYs received: {string.Join(" | ", watcher.Notifies.Select(n => $"{n.Request["Event"]} {n.Request.Body}"))}", timeout);
        }
        return watcher.Notifies.First(n => ReferenceEquals(n.Request, request));
    }

    private static bool IsDialogState(SipMessage notify, string state) =>
        (notify["Event"] ?? string.Empty).StartsWith("dialog", StringComparison.OrdinalIgnoreCase)
        && notify.Body.Contains($">{state}</state>", StringComparison.Ordinal);
}
