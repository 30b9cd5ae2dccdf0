using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// Issue 31 on the real switch: skip_busy (7117), round_robin (7118), least_recent (7119) and the bundled
/// ring_group_toggle codes *60 / *61 / *62 of the bundled sales ring group (7000).
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class RingGroupFeatureTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    /// <summary><paramref name="from"/> calls <paramref name="to"/> directly (the dialplan's local extensions) and <paramref name="to"/> answers.</summary>
    private static async Task<OutgoingCall> OnACallAsync(Scene s, string from, string to)
    {
        s.Phone(to).Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.Zero);
        var call = s.Phone(from).Dial(to);
        await call.AnsweredAsync(Soon);
        // The daemon learns of the answer from the channel feed.
        await Task.Delay(300, s.Cancellation);
        return call;
    }

    [RealSwitchFact]
    public Task Skip_busy_rings_only_the_member_not_on_a_call_and_both_busy_get_the_busy_child_at_once() => fixture.RunAsync(output, async s =>
    {
        var talking1001 = await OnACallAsync(s, "1001", "1006");

        var call = s.Phone("1005").Dial("7117");
        var ringing = await s.Phone("1003").InviteAsync(Soon);
        await Task.Delay(500, s.Cancellation);
        Assert.Empty(s.Phone("1001").Incoming);
        var uuid = await s.DaemonCallAsync("7117");
        s.Report($"1001 on a call: 7117 rang only 1003 ({Scene.Ms(ringing.ReceivedAt - call.InviteSentAt)} ms after the caller's INVITE)");
        await call.CancelAsync(s.Cancellation);
        await ringing.CancelledAsync(Soon);

        var talking1003 = await OnACallAsync(s, "1003", "1004");
        var busy = s.Phone("1005").Dial("7117");
        var final = await busy.FinalAsync(Soon);
        var took = final.At - busy.InviteSentAt;
        s.Report($"1001 and 1003 on calls: 7117 answered {final} {Scene.Ms(took)} ms after the INVITE (load: {File.ReadAllText("/proc/loadavg").Trim()})");
        Assert.Equal(486, final.Code);
        Assert.Single(s.Phone("1003").Incoming);
        Assert.True(took < TimeSpan.FromMilliseconds(100) || File.ReadAllText("/proc/loadavg").Split(' ')[0] is var load && double.Parse(load, System.Globalization.CultureInfo.InvariantCulture) > 4,
            $"the busy child took {Scene.Ms(took)} ms on an idle machine");

        await talking1001.HangUpAsync(s.Cancellation);
        await talking1003.HangUpAsync(s.Cancellation);
        Assert.NotEmpty(uuid);
    });

    /// <summary>Dials <paramref name="number"/>, waits for the first phone it rings, then cancels; the phone's user.</summary>
    private static async Task<string> FirstRungAsync(Scene s, string number, string[] members, bool answer)
    {
        var before = members.ToDictionary(m => m, m => s.Phone(m).Incoming.Count);
        var calls = s.DaemonCalls(number).Count;
        var call = s.Phone("1005").Dial(number);
        var first = await s.Phone("1005").WaitAsync(
            () => members.Select(m => s.Phone(m)).FirstOrDefault(p => p.Incoming.Count > before[p.User])?.Incoming[^1],
            Soon, $"the first INVITE of {number}");
        if (answer)
        {
            first.Answer();
            await call.AnsweredAsync(Soon);
            // Hung up only once the daemon has the answer: a caller gone within a millisecond of the 200 OK can beat the
            // originate's own end, and FreeSWITCH then ends the bridge as ORIGINATOR_CANCEL and hangs up the member
            // (switch_ivr_originate.c, switch_ivr_originate: a caller channel no longer ready after the wait is IDX_CANCEL), a
            // call nobody talked on, which the record calls missed as FreeSWITCH does.
            await s.CallLineAsync(await s.DaemonCallAsync(number, calls), Soon, "outcome answered");
            await call.HangUpAsync(s.Cancellation);
        }
        else
        {
            await call.CancelAsync(s.Cancellation);
            await first.CancelledAsync(Soon);
        }
        // The daemon has told the call's end (and so written what the group remembers of it) before the next call
        // plans: on a loaded machine the channel feed, which names the device that answered, trails by more than a
        // fixed pause would cover.
        await s.CallLineAsync(await s.DaemonCallAsync(number, calls), Soon, answer ? "ended after" : "outcome missed");
        // FreeSWITCH's throttle (30 sessions a second in freeswitch-conf).
        await Task.Delay(200, s.Cancellation);
        return first.Phone.User;
    }

    [RealSwitchFact]
    public Task Round_robin_starts_ten_calls_in_a_row_each_after_the_last() => fixture.RunAsync(output, async s =>
    {
        string[] members = ["1001", "1003", "1004"];
        var firsts = new List<string>();
        for (var n = 0; n < 10; n++)
        {
            firsts.Add(await FirstRungAsync(s, "7118", members, answer: n % 3 == 1));
        }

        s.Report($"first INVITE of 10 calls to 7118: {string.Join(" ", firsts)}");
        var start = Array.IndexOf(members, firsts[0]);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => members[(start + i) % 3]), firsts);
    }, TimeSpan.FromMinutes(3));

    [RealSwitchFact]
    public Task Least_recent_rings_first_the_member_who_answered_longest_ago() => fixture.RunAsync(output, async s =>
    {
        string[] members = ["1001", "1003", "1004"];
        // Everyone answers once (the first phone rung answers), so each has a time; then the order repeats.
        var firsts = new List<string>();
        for (var n = 0; n < 6; n++)
        {
            firsts.Add(await FirstRungAsync(s, "7119", members, answer: true));
        }
        var missed = await FirstRungAsync(s, "7119", members, answer: false);

        s.Report($"first INVITE of 7 calls to 7119 (the first 6 answered by it): {string.Join(" ", firsts)} {missed}");
        Assert.Equal(members.Order(), firsts.Take(3).Order());
        Assert.Equal(firsts.Take(3), firsts.Skip(3));
        // A call nobody answers changes nobody's time.
        Assert.Equal(firsts[0], missed);
    }, TimeSpan.FromMinutes(3));

    [RealSwitchFact]
    public Task Toggle_logs_bob_out_of_sales_with_a_tone_and_a_dark_BLF_key_then_back_in() => fixture.RunAsync(output, async s =>
    {
        var watcher = s.Phone("1004");
        var subscribed = await watcher.SubscribeDialogAsync("*60", Soon);
        s.Report($"SUBSCRIBE to *60 answered {subscribed.StatusCode} {subscribed.Reason}");

        var logout = s.Phone("1003").Dial("*60");
        await logout.AnsweredAsync(Soon);
        await s.Phone("1003").WaitAsync(() => logout.ByeReceivedAt is null ? null : logout, Soon, "the daemon's hangup after the tone");
        var toggled = await s.DaemonLineAsync(Soon, "user:bob", "logged out of", "sales-ring-group");
        s.Report($"*60 from 1003: answered, tone, hung up {Scene.Ms(logout.ByeReceivedAt!.Value - logout.AnsweredAt!.Value)} ms after the answer; daemon: {toggled}");
        var playback = s.SwitchLines().FirstOrDefault(l => l.Contains("playback(tone_stream://", StringComparison.Ordinal));
        s.Report($"switch: {playback}");
        Assert.NotNull(playback);
        var dark = await DialogStateAsync(watcher, "terminated", logout.AnsweredAt!.Value);
        s.Report($"BLF *60 at 1004 after the logout: {dark.Body.Replace('\n', ' ')}");

        try
        {
            var ring = s.Phone("1005").Dial("7000");
            var invites = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"), s.Phone("1006"));
            await Task.Delay(500, s.Cancellation);
            Assert.Empty(s.Phone("1003").Incoming);
            await ring.CancelAsync(s.Cancellation);
            foreach (var invite in invites)
            {
                await invite.CancelledAsync(Soon);
            }
        }
        finally
        {
            var login = s.Phone("1003").Dial("*60");
            await login.AnsweredAsync(Soon);
            await s.Phone("1003").WaitAsync(() => login.ByeReceivedAt is null ? null : login, Soon, "the daemon's hangup after the tone");
        }
        await s.DaemonLineAsync(Soon, "user:bob", "logged into", "sales-ring-group");
        var lit = await DialogStateAsync(watcher, "confirmed", dark.At);
        s.Report($"BLF *60 at 1004 after the login: {lit.Body.Replace('\n', ' ')}");
        Assert.Contains("entity=\"sip:*60@127.0.0.1\"", lit.Body, StringComparison.Ordinal);
    });

    /// <summary>The first dialog NOTIFY after <paramref name="after"/> whose body shows a dialog in <paramref name="state"/>.</summary>
    private static async Task<(TimeSpan At, string Body)> DialogStateAsync(SipPhone watcher, string state, TimeSpan after)
    {
        var request = await watcher.WaitAsync(
            () => watcher.Notifies.Where(n => n.At >= after && n.Request.Body.Contains($">{state}</state>", StringComparison.Ordinal)).Select(n => n.Request).FirstOrDefault(),
            Soon, $"a dialog NOTIFY showing {state}",
            () => null);
        var at = watcher.Notifies.First(n => ReferenceEquals(n.Request, request)).At;
        return (at, request.Body);
    }

    [RealSwitchFact]
    public Task Confirm_drops_a_member_who_answers_without_the_key_and_connects_the_one_who_presses_it_by_INFO() => fixture.RunAsync(output, async s =>
    {
        var call = s.Phone("1005").Dial("7120");
        var silent = await s.Phone("1001").InviteAsync(Soon);
        var pressing = await s.Phone("1003").InviteAsync(Soon);

        // 1001 answers (a voicemail, say) and sends nothing: the caller is not connected, 1003 rings on.
        silent.Answer();
        await s.Phone("1001").WaitAsync(() => silent.ByeReceivedAt is null ? null : silent, TimeSpan.FromSeconds(8), "1001's leg dropped");
        var dropped = silent.ByeReceivedAt!.Value - silent.AnsweredAt!.Value;
        s.Report($"1001 answered and pressed nothing: dropped {Scene.Seconds(dropped)} s after its answer (confirm_timeout 3)");
        Wire.InWholeSecondWindow(dropped, 3, "1001's drop after its answer");
        Assert.False(call.IsAnswered, "the caller was connected to a member who did not confirm");
        Assert.True(pressing.IsRinging, "1003 stopped ringing when 1001 answered");

        // 1003 answers, hears the prompt, presses 1 by SIP INFO: the caller is connected to 1003.
        pressing.Answer();
        await Task.Delay(500, s.Cancellation);
        Assert.False(call.IsAnswered, "the caller was connected before 1003 pressed the key");
        var pressedAt = SipClock.Now;
        await pressing.SendInfoDtmfAsync('1', s.Cancellation);
        await call.AnsweredAsync(Soon);
        s.Report($"1003 pressed 1 (INFO): caller answered {Scene.Ms(call.AnsweredAt!.Value - pressedAt)} ms later");
        var uuid = await s.DaemonCallAsync("7120");
        await s.CallLineAsync(uuid, Soon, "outcome answered", "dev1003");
        await call.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Members_see_the_caller_id_name_prefix_exactly_before_the_caller_s_name() => fixture.RunAsync(output, async s =>
    {
        const string Prefix = "O'Brien, Jr! Zoë/Sales: ";
        var call = s.Phone("1005").Dial("7121");

        var invites = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1003"));

        foreach (var invite in invites)
        {
            s.Report($"{invite.Phone.User}: From: {invite.Invite["From"]}; P-Asserted-Identity: {invite.PAssertedIdentity ?? "-"}; Remote-Party-ID: {invite.RemotePartyId ?? "-"}");
            // The bundled dev1005 shows "Dave" (its internal caller id).
            Assert.Equal(Prefix + "Dave", invite.From.DisplayName);
            Assert.Equal("1005", invite.From.User);
            foreach (var identity in new[] { invite.PAssertedIdentity, invite.RemotePartyId }.OfType<string>())
            {
                Assert.Equal(Prefix + "Dave", SipHeader.ParseNameAddress(identity).DisplayName);
            }
        }
        await call.CancelAsync(s.Cancellation);
    });
}
