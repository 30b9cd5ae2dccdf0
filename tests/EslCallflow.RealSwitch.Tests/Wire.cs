using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>Assertions and waits the tests share, phrased as what a phone, a caller or an operator sees.</summary>
public static class Wire
{
    /// <summary>
    /// FreeSWITCH counts leg timers in whole seconds and acts when more than N have passed
    /// (switch_ivr_originate.c, <c>switch_ivr_originate</c>: <c>elapsed > leg_timeout</c> with <c>elapsed</c> from
    /// <c>switch_epoch_time_now</c>), so a ring time of N is N to N+1 s; the margin covers scheduling on a busy machine.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(350);

    /// <summary>
    /// A person hears a phone ring and dials the pickup code: not within milliseconds of the INVITE, before the
    /// switch has even had the phone's 180 (the daemon learns a leg rings from the switch's events).
    /// </summary>
    public static readonly TimeSpan ReactionTime = TimeSpan.FromMilliseconds(500);

    public static void InWholeSecondWindow(TimeSpan measured, int seconds, string what, string? note = null)
    {
        // The phone sees the INVITE a few ms after FreeSWITCH starts the leg's clock, and the CANCEL a few ms after it acts.
        var low = TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(50);
        var high = TimeSpan.FromSeconds(seconds + 1) + Margin;
        Assert.True(measured >= low && measured <= high,
            $"{what}: {Scene.Seconds(measured)} s, expected {seconds} to {seconds + 1} s (FreeSWITCH's whole-second window) + {Margin.TotalMilliseconds} ms margin{note}");
    }

    /// <summary>
    /// Why a group timeout of N rings N-1 to N s on FreeSWITCH 1.10.12 unless the daemon allows for it: the wait
    /// loop of <c>switch_ivr_originate</c> (switch_ivr_originate.c) ends the whole originate when
    /// <c>elapsed >= timelimit_sec</c> (originate_timeout), while <c>check_per_channel_timeouts</c> ends a leg when
    /// <c>elapsed > leg_timeout</c>.
    /// </summary>
    public const string GroupTimeoutNote =
        "; FreeSWITCH ends the originate when elapsed >= originate_timeout (switch_ivr_originate.c, switch_ivr_originate's wait loop) but a leg when elapsed > leg_timeout (check_per_channel_timeouts), so a group timeout of N rings N-1 to N s unless the daemon allows for it";

    /// <summary>Waits until a counter on /metrics reaches <paramref name="atLeast"/>; returns the last value read.</summary>
    public static async Task<double> MetricAsync(this Scene scene, Func<PrometheusText, double> read, double atLeast, TimeSpan timeout)
    {
        var deadline = SipClock.Now + timeout;
        while (true)
        {
            var value = read(await scene.MetricsAsync());
            if (value >= atLeast || SipClock.Now > deadline)
            {
                return value;
            }
            await Task.Delay(50, scene.Cancellation);
        }
    }

    private static readonly string[] PickupEndings = ["outcome", "bridged nothing", "nothing to pick up", "pickup refused"];

    /// <summary>The daemon's first line saying how the <paramref name="index"/>-th call to the pickup code ended.</summary>
    public static async Task<string> PickupEndingAsync(this Scene scene, int index = 0, string code = "8000")
    {
        var uuid = await scene.DaemonCallAsync(code, index);
        var deadline = SipClock.Now + TimeSpan.FromSeconds(8);
        while (true)
        {
            var ending = scene.DaemonLines().FirstOrDefault(l => Scene.IsAbout(l, uuid) && PickupEndings.Any(e => l.Contains(e, StringComparison.Ordinal)));
            if (ending is not null)
            {
                return ending;
            }
            if (SipClock.Now > deadline)
            {
                throw new TimeoutException($"the daemon logged no ending for the pickup call {uuid}");
            }
            await Task.Delay(20, scene.Cancellation);
        }
    }

    /// <summary>
    /// The picker's side of a pickup as the operator reads it: the daemon's session ends with "outcome picked up",
    /// never "bridged nothing" (a success the daemon took for a failure because the picker's last events came in
    /// another order).
    /// </summary>
    public static async Task<string> PickedUpLoggedAsync(this Scene scene, int index = 0)
    {
        var ending = await scene.PickupEndingAsync(index);
        Assert.True(ending.Contains("outcome picked up", StringComparison.Ordinal), $"the picker is talking to the caller, but the daemon logged: {ending}");
        return ending;
    }

    /// <summary>Waits until every phone in <paramref name="phones"/> has had its INVITE #<paramref name="count"/>.</summary>
    public static async Task<IncomingCall[]> InvitesAsync(TimeSpan timeout, params SipPhone[] phones) =>
        await Task.WhenAll(phones.Select(p => p.InviteAsync(timeout)));

    /// <summary>Waits until the phone's INVITE was cancelled (by the switch).</summary>
    public static Task<IncomingCall> CancelledAsync(this IncomingCall call, TimeSpan timeout) =>
        call.Phone.WaitAsync(() => call.CancelledAt is not null ? call : null, timeout, $"CANCEL of {call.Phone.User}'s INVITE [{call.CallId}]",
            () => call.AnsweredAt is not null ? "it was answered" : call.RejectedAt is not null ? $"it was rejected with {call.RejectedWith}" : null);

    /// <summary>Waits until the phone's call got a BYE from the switch.</summary>
    public static Task<IncomingCall> ByeAsync(this IncomingCall call, TimeSpan timeout) =>
        call.Phone.WaitAsync(() => call.ByeReceivedAt is not null ? call : null, timeout, $"BYE to {call.Phone.User} [{call.CallId}]");

    /// <summary>Asserts that <paramref name="phone"/> gets no INVITE for <paramref name="during"/>.</summary>
    public static async Task NoInviteAsync(this SipPhone phone, TimeSpan during, string why)
    {
        await Task.Delay(during);
        Assert.True(phone.Incoming.Count == 0, $"{phone.User} got an INVITE ({why}): {string.Join("; ", phone.Incoming)}");
    }
}
