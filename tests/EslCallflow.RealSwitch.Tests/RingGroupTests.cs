using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>ring_group on the real switch, as the phones and the caller see it on the wire (documents/callflows/71xx).</summary>
[Collection(RealSwitchCollection.Name)]
public sealed class RingGroupTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    [RealSwitchFact]
    public Task Simultaneous_rings_every_phone_at_once_and_the_others_get_call_completed_elsewhere() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        s.Phone("1003").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromSeconds(1));
        var call = s.Phone("1005").Dial("7101");

        var invites = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"), s.Phone("1003"), s.Phone("1004"));
        var spread = invites.Max(i => i.ReceivedAt) - invites.Min(i => i.ReceivedAt);
        s.Report($"INVITE spread over 4 phones: {Scene.Ms(spread)} ms");
        Assert.True(spread < TimeSpan.FromMilliseconds(100), $"the 4 INVITEs arrived over {Scene.Ms(spread)} ms");

        await call.AnsweredAsync(Soon);
        foreach (var other in invites.Where(i => i.Phone.User != "1003"))
        {
            await other.CancelledAsync(Soon);
            Assert.Contains("Call completed elsewhere", other.CancelReason ?? "(no Reason header)", StringComparison.Ordinal);
        }
        var uuid = await s.DaemonCallAsync("7101");

        // An operator tailing the log sees who answered while the call is up, not when it ends.
        var answeredAt = invites.Single(i => i.Phone.User == "1003").AnsweredAt!.Value;
        var line = await s.CallLineAsync(uuid, TimeSpan.FromSeconds(3), "outcome answered", "dev1003");
        s.Report($"daemon: {line}");
        s.Report($"outcome line seen {Scene.Ms(SipClock.Now - answeredAt)} ms after the answer (at the latest)");
        var answered = await s.MetricAsync(m => m.Calls("ring_group", "answered"), before.Calls("ring_group", "answered") + 1, TimeSpan.FromSeconds(3));
        Assert.Equal(before.Calls("ring_group", "answered") + 1, answered);
        Assert.False(call.IsEnded, "the call must still be up when the outcome line and the count are checked");
        await call.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Single_rings_in_member_order_each_phone_for_its_timeout() => fixture.RunAsync(output, async s =>
    {
        var call = s.Phone("1005").Dial("7102");

        var final = await call.FinalAsync(TimeSpan.FromSeconds(25));

        var legs = new[] { "1001", "1002", "1003" }.Select(u => s.Phone(u).Incoming.Single()).ToList();
        Assert.Equal(["1001", "1002", "1003"], legs.OrderBy(l => l.ReceivedAt).Select(l => l.Phone.User));
        for (var i = 0; i < legs.Count; i++)
        {
            s.Report($"{legs[i].Phone.User} rang {Scene.Seconds(legs[i].RingTime!.Value)} s");
            Wire.InWholeSecondWindow(legs[i].RingTime!.Value, 3, $"{legs[i].Phone.User}'s ring time");
            if (i > 0)
            {
                Assert.True(legs[i].ReceivedAt >= legs[i - 1].CancelledAt, $"{legs[i].Phone.User} rang before {legs[i - 1].Phone.User} stopped");
            }
        }
        Assert.Equal(480, final.Code);
    });

    [RealSwitchFact]
    public Task Weighted_random_rings_first_the_phone_with_the_larger_weight_in_proportion() => fixture.RunAsync(output, async s =>
    {
        const int calls = 60;
        s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.Zero);
        s.Phone("1002").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.Zero);
        for (var n = 0; n < calls; n++)
        {
            // Paced under FreeSWITCH's sessions-per-second (30 in freeswitch-conf; two sessions a call): unpaced, a
            // warm daemon made 16 calls a second and the switch refused a leg ("Throttle Error!", switch_core_session.c).
            var paced = Task.Delay(100, s.Cancellation);
            var call = s.Phone("1005").Dial("7103");
            await call.AnsweredAsync(Soon);
            await call.HangUpAsync(s.Cancellation);
            await paced;
        }

        var first1001 = s.Phone("1001").Incoming.Count;
        var first1002 = s.Phone("1002").Incoming.Count;
        s.Report($"first rings over {calls} calls: 1001 (weight 80) {first1001}, 1002 (weight 20) {first1002}");
        // Only the first phone rings: it answers at once. Binomial(60, 0.8): 38..57 holds with probability > 0.999.
        Assert.Equal(calls, first1001 + first1002);
        Assert.InRange(first1001, 38, 57);
    }, TimeSpan.FromMinutes(5));

    [RealSwitchFact]
    public Task Delay_starts_a_leg_late_by_its_whole_seconds() => fixture.RunAsync(output, async s =>
    {
        var call = s.Phone("1005").Dial("7104");

        var first = await s.Phone("1001").InviteAsync(Soon);
        var delayed = await s.Phone("1002").InviteAsync(TimeSpan.FromSeconds(8));
        delayed.Answer();

        await call.AnsweredAsync(Soon);
        await first.CancelledAsync(Soon);
        var delay = delayed.ReceivedAt - first.ReceivedAt;
        s.Report($"delay 3: the leg started {Scene.Seconds(delay)} s after the first");
        Wire.InWholeSecondWindow(delay, 3, "1002's start after 1001's");
        await call.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task A_leg_rings_for_its_own_timeout_and_the_group_timeout_ends_the_rest() => fixture.RunAsync(output, async s =>
    {
        var call = s.Phone("1005").Dial("7105");

        var final = await call.FinalAsync(TimeSpan.FromSeconds(15));

        var shortLeg = s.Phone("1001").Incoming.Single();
        var longLeg = s.Phone("1002").Incoming.Single();
        s.Report($"leg timeout 2: rang {Scene.Seconds(shortLeg.RingTime!.Value)} s; group timeout 5 (leg 20): rang {Scene.Seconds(longLeg.RingTime!.Value)} s; caller got {final}");
        Wire.InWholeSecondWindow(shortLeg.RingTime!.Value, 2, "1001 (leg timeout 2)");
        Wire.InWholeSecondWindow(longLeg.RingTime!.Value, 5, "1002 (group timeout 5)", Wire.GroupTimeoutNote);
        Assert.Equal(480, final.Code);
    });

    [RealSwitchFact]
    public Task Repeats_ring_the_group_again_once_nobody_answered() => fixture.RunAsync(output, async s =>
    {
        var call = s.Phone("1005").Dial("7106");

        var final = await call.FinalAsync(TimeSpan.FromSeconds(15));

        var rings = s.Phone("1001").Incoming;
        s.Report($"repeats 2, timeout 2: {rings.Count} rings of {string.Join(", ", rings.Select(r => Scene.Seconds(r.RingTime ?? TimeSpan.Zero) + " s"))}; caller got {final}");
        Assert.Equal(2, rings.Count);
        Assert.NotEqual(rings[0].CallId, rings[1].CallId);
        Assert.True(rings[1].ReceivedAt >= rings[0].CancelledAt, "the second attempt rang before the first ended");
        Assert.Equal(480, final.Code);
    });

    [RealSwitchFact]
    public Task With_ringback_the_caller_hears_early_media_before_the_answer() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromSeconds(2));
        var call = s.Phone("1005").Dial("7107");

        var answer = await call.AnsweredAsync(Soon);

        s.Report($"caller got: {string.Join(", ", call.Responses)}");
        Assert.Contains(call.Responses, r => r.Code == 183 && r.HasSdp && r.At < answer.At);
        await call.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Without_ringback_the_caller_gets_180_ringing_and_no_early_media() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromSeconds(2));
        var call = s.Phone("1005").Dial("7101");

        var answer = await call.AnsweredAsync(Soon);

        s.Report($"caller got: {string.Join(", ", call.Responses)}");
        Assert.Contains(call.Responses, r => r.Code == 180 && r.At < answer.At);
        Assert.DoesNotContain(call.Responses, r => r.Code == 183 && r.HasSdp);
        await call.HangUpAsync(s.Cancellation);
    });

    public static TheoryData<string, string> GroupRingtones => new()
    {
        { "7108", "group-tone" },
        { "7110", "info=group-tone" },
        { "7111", "<http://127.0.0.1/ring.wav>;info=group-tone" },
    };

    /// <summary>
    /// A phone picks its ring from the <c>info=</c> parameter of an Alert-Info header in <c>&lt;uri&gt;;params</c> form
    /// (RFC 3261 section 20.4); sofia-sip rewrites any other form (<c>info=x</c> arrives as <c>&lt;info=x&gt;</c>).
    /// </summary>
    [RealSwitchTheory]
    [MemberData(nameof(GroupRingtones))]
    public Task The_group_ringtone_reaches_the_phone_as_a_valid_alert_info_over_the_device_ringtone(string number, string written) => fixture.RunAsync(output, async s =>
    {
        await using var ringtone = await s.Daemon.OverrideDocumentAsync("devices/devices.json", Documents.DevicesWithRingtone("dev1001", "device-tone"), s.Cancellation);
        var call = s.Phone("1005").Dial(number);

        var invite = await s.Phone("1001").InviteAsync(Soon);

        s.Report($"group ringtone written {written}: the phone got Alert-Info: {invite.AlertInfo ?? "(none)"}");
        AlertInfoNames(invite.AlertInfo, "group-tone");
        await call.CancelAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task Without_a_group_ringtone_the_phone_gets_its_device_ringtone() => fixture.RunAsync(output, async s =>
    {
        await using var ringtone = await s.Daemon.OverrideDocumentAsync("devices/devices.json", Documents.DevicesWithRingtone("dev1001", "device-tone"), s.Cancellation);
        var call = s.Phone("1005").Dial("7109");

        var invite = await s.Phone("1001").InviteAsync(Soon);

        s.Report($"device ringtone device-tone: the phone got Alert-Info: {invite.AlertInfo ?? "(none)"}");
        AlertInfoNames(invite.AlertInfo, "device-tone");
        await call.CancelAsync(s.Cancellation);
    });

    private static void AlertInfoNames(string? header, string ring)
    {
        Assert.NotNull(header);
        var value = header!.Trim();
        Assert.True(value.StartsWith('<') && value.IndexOf('>', StringComparison.Ordinal) > 1, $"Alert-Info '{value}' is not in <uri>;params form");
        var uri = value[1..value.IndexOf('>', StringComparison.Ordinal)];
        Assert.True(Uri.TryCreate(uri, UriKind.Absolute, out _), $"Alert-Info '{value}': '{uri}' is not an absolute URI");
        Assert.Equal(ring, SipHeader.Parameter(value, "info"));
    }

    public static TheoryData<string> CallerNames => new()
    {
        "O'Brien",
        "Hello!World",
        "Smith, John",
        "Zoë Ångström",
        "O'Brien, Jr! Zoë",
        "Sales/Support",
        "A/V room",
        "Sales: Alice",
        "alice@home",
        "<Tom & \"Jerry\">",
        "R&D <Night/Day> \"Support\": 2@3",
    };

    [RealSwitchTheory]
    [MemberData(nameof(CallerNames))]
    public Task Phones_show_the_caller_id_name_exactly_as_written(string name) => fixture.RunAsync(output, async s =>
    {
        await using var callerId = await s.Daemon.OverrideDocumentAsync("devices/devices.json",
            Documents.DevicesWithCallerName("dev1005", name, "1005"), s.Cancellation);
        var call = s.Phone("1005").Dial("7112");

        var invite = await s.Phone("1001").InviteAsync(Soon);

        s.Report($"written {name}; From: {invite.Invite["From"]}; P-Asserted-Identity: {invite.PAssertedIdentity ?? "-"}; Remote-Party-ID: {invite.RemotePartyId ?? "-"}");
        Assert.Equal(name, invite.From.DisplayName);
        Assert.Equal("1005", invite.From.User);
        foreach (var identity in new[] { invite.PAssertedIdentity, invite.RemotePartyId }.OfType<string>())
        {
            Assert.Equal(name, SipHeader.ParseNameAddress(identity).DisplayName);
        }
        // The leg's caller profile (what its events, CDR and a later transfer use): mod_sofia cut it at '/', ':' and
        // '@' (switch_sanitize_number), and the daemon put it back. A name with '"', '' or '%' is held in the form
        // mod_sofia's check_decode turns back into the name (the From header above shows that it does).
        var leg = await RungLegAsync(s, await s.DaemonCallAsync("7112"), "1001");
        var profile = (await s.Switch.ApiAsync($"uuid_getvar {leg} caller_id_name", s.Cancellation)).Trim();
        s.Report($"leg caller profile name: {profile}");
        if (name.AsSpan().IndexOfAny("\"\\%") < 0)
        {
            Assert.Equal(name, profile);
        }
        await call.CancelAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task FreeSWITCH_alone_cuts_a_caller_id_name_at_a_slash_which_is_why_the_daemon_restores_it() => fixture.RunAsync(output, async s =>
    {
        // No daemon in the way: a native originate with the name set the usual way.
        var leg = Guid.NewGuid().ToString();
        await s.Switch.ApiAsync($"bgapi originate {{origination_uuid={leg},origination_caller_id_name='Sales/Support',origination_caller_id_number=1005}}user/1001@{RealSwitch.Domain} &park()", s.Cancellation);

        var invite = await s.Phone("1001").InviteAsync(Soon);
        var profile = (await s.Switch.ApiAsync($"uuid_getvar {leg} caller_id_name", s.Cancellation)).Trim();

        s.Report($"native originate of 'Sales/Support': From: {invite.Invite["From"]}; Remote-Party-ID: {invite.RemotePartyId ?? "-"}; leg caller profile name: {profile}");
        Assert.Equal("Support", invite.From.DisplayName);
        Assert.Equal("Support", profile);
    });

    [RealSwitchFact]
    public Task Fail_on_single_reject_ends_the_whole_group_when_one_phone_is_busy() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.Busy(TimeSpan.FromSeconds(1));
        var call = s.Phone("1005").Dial("7113");

        var busy = await s.Phone("1001").InviteAsync(Soon);
        var other = await s.Phone("1002").InviteAsync(Soon);
        await other.CancelledAsync(Soon);
        var final = await call.FinalAsync(Soon);

        var gap = other.CancelledAt!.Value - busy.RejectedAt!.Value;
        s.Report($"1001 busy at +{Scene.Seconds(busy.RejectedAt.Value - busy.ReceivedAt)} s; 1002 cancelled {Scene.Ms(gap)} ms later; caller got {final}");
        Assert.True(gap < TimeSpan.FromSeconds(1), $"1002 was cancelled {Scene.Ms(gap)} ms after the reject");
        Assert.Equal(486, final.Code);
    });

    [RealSwitchFact]
    public Task Without_fail_on_single_reject_one_busy_phone_leaves_the_others_ringing() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.Busy(TimeSpan.FromMilliseconds(500));
        s.Phone("1002").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromSeconds(2));
        var call = s.Phone("1005").Dial("7201");

        await call.AnsweredAsync(Soon);

        var answered = s.Phone("1002").Incoming.Single();
        s.Report($"1001 busy, 1002 answered at +{Scene.Seconds(answered.AnsweredAt!.Value - answered.ReceivedAt)} s");
        Assert.Equal(486, s.Phone("1001").Incoming.Single().RejectedWith);
        Assert.Null(answered.CancelledAt);
        await call.HangUpAsync(s.Cancellation);
        // The busy member's USER_BUSY is left in the caller's last_bridge_hangup_cause; the caller ended this talk.
        var ended = await s.DaemonLineAsync(Soon, "ended after", "with dev1002");
        Assert.Contains("caller hung up (NORMAL_CLEARING)", ended, StringComparison.Ordinal);
    });

    public static TheoryData<string, string> Children => new()
    {
        { "no_answer", "1002" },
        { "busy", "1003" },
        { "decline", "1004" },
    };

    /// <summary>7114: NO_ANSWER rings 1002, USER_BUSY rings 1003, anything else (603 is CALL_REJECTED) the <c>_</c> child, 1004.</summary>
    [RealSwitchTheory]
    [MemberData(nameof(Children))]
    public Task The_child_keyed_by_the_hangup_cause_runs_when_nobody_answers(string how, string childPhone) => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = how switch
        {
            "busy" => PhoneBehaviour.Busy(TimeSpan.FromMilliseconds(500)),
            "decline" => PhoneBehaviour.Declines(TimeSpan.FromMilliseconds(500)),
            _ => PhoneBehaviour.Rings,
        };
        s.Phone(childPhone).Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.FromMilliseconds(500));
        var call = s.Phone("1005").Dial("7114");

        var child = await s.Phone(childPhone).InviteAsync(TimeSpan.FromSeconds(10));
        await call.AnsweredAsync(Soon);

        var first = s.Phone("1001").Incoming.Single();
        s.Report($"1001 {how}: the child rang {childPhone} {Scene.Seconds(child.ReceivedAt - first.ReceivedAt)} s after 1001's INVITE");
        foreach (var other in new[] { "1002", "1003", "1004" }.Where(u => u != childPhone))
        {
            Assert.Empty(s.Phone(other).Incoming);
        }
        await call.HangUpAsync(s.Cancellation);
    });

    [RealSwitchFact]
    public Task A_caller_hanging_up_while_phones_ring_is_a_missed_call_and_runs_no_child() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var call = s.Phone("1005").Dial("7115");
        var invites = await Wire.InvitesAsync(Soon, s.Phone("1001"), s.Phone("1002"));
        await Task.Delay(TimeSpan.FromSeconds(1), s.Cancellation);

        await call.CancelAsync(s.Cancellation);

        var final = await call.FinalAsync(Soon);
        foreach (var invite in invites)
        {
            await invite.CancelledAsync(Soon);
        }
        var uuid = await s.DaemonCallAsync("7115");
        var line = await s.CallLineAsync(uuid, Soon, "outcome missed");
        var missed = await s.MetricAsync(m => m.Calls("ring_group", "missed"), before.Calls("ring_group", "missed") + 1, Soon);
        s.Report($"caller got {final}; daemon: {line}");
        Assert.Equal(487, final.Code);
        Assert.Contains("ORIGINATOR_CANCEL", line, StringComparison.Ordinal);
        Assert.Equal(before.Calls("ring_group", "missed") + 1, missed);
        await s.Phone("1004").NoInviteAsync(TimeSpan.FromSeconds(2), "the _ child must not run for a caller who hung up");
    });

    [RealSwitchFact]
    public Task Nobody_left_to_ring_goes_straight_to_the_default_child() => fixture.RunAsync(output, async s =>
    {
        var before = await s.MetricsAsync();
        var call = s.Phone("1005").Dial("7116");

        var final = await call.FinalAsync(Soon);

        var line = await s.DaemonLineAsync(Soon, "no device left to ring");
        s.Report($"caller got {final} {Scene.Ms(final.At - call.InviteSentAt)} ms after its INVITE; daemon: {line}");
        Assert.Equal((404, "Nobody Left"), (final.Code, final.Reason));
        Assert.Equal(before.Calls("ring_group", "nobody_to_ring") + 1, await s.MetricAsync(m => m.Calls("ring_group", "nobody_to_ring"), before.Calls("ring_group", "nobody_to_ring") + 1, Soon));
        foreach (var user in RealSwitch.Users)
        {
            Assert.Empty(s.Phone(user).Incoming);
        }
    });

    /// <summary>
    /// The UUID of the leg <paramref name="callerUuid"/>'s bridge rang <paramref name="user"/> on, from the caller's
    /// <c>originated_legs</c> ("uuid;callee name;callee number" per leg, switch_ivr_originate.c).
    /// </summary>
    internal static async Task<string> RungLegAsync(Scene s, string callerUuid, string user)
    {
        var deadline = SipClock.Now + Soon;
        while (true)
        {
            var legs = (await s.Switch.ApiAsync($"uuid_getvar {callerUuid} originated_legs", s.Cancellation)).Trim();
            var leg = legs.Replace("ARRAY::", string.Empty, StringComparison.Ordinal).Split("|:").Select(l => l.Split(';'))
                .FirstOrDefault(l => l.Length == 3 && l[2] == user);
            if (leg is not null)
            {
                return leg[0];
            }
            Assert.True(SipClock.Now < deadline, $"no leg to {user} in {callerUuid}'s originated_legs: {legs}");
            await Task.Delay(20, s.Cancellation);
        }
    }
}
