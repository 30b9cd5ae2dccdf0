using EslCallflow.Callflows.RingGroups;
using EslCallflow.Calls.Pickup;
using EslCallflow.Esl;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using EslCallflow.Tracking;

namespace EslCallflow.Calls.Ringing;

/// <summary>
/// Sends a ring attempt's bridge and watches it until it ends: answered (told when the phone answers, the
/// conversation's end told later), picked up, caller gone, or not answered with its cause.
/// </summary>
public sealed class BridgeWatcher
{
    private readonly ChannelTracker _tracker;
    private readonly IPickupClaims _claims;
    private readonly TimeProvider _time;

    public BridgeWatcher(ChannelTracker tracker, IPickupClaims claims, TimeProvider time)
    {
        _tracker = tracker;
        _claims = claims;
        _time = time;
    }

    /// <summary>Sends <paramref name="plan"/>'s commands, ending in its bridge; the bridge's end is <see cref="Bridge.EndAsync"/>.</summary>
    public Bridge Send(EslOutboundSession session, RingGroupAttempt plan, CancellationToken stopping)
    {
        var feedWatch = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var ringingSince = _time.GetTimestamp();
        // Watched before the bridge is sent, so its CHANNEL_BRIDGE cannot come first.
        var bridgedOnFeed = _tracker.BridgedAsync(session.UniqueId, feedWatch.Token);
        var completion = SessionActions.BridgeAsync(session, plan.Commands, stopping);
        // Only the legs are kept while the bridge runs: the plan's text (kilobytes) is not kept for the whole call.
        return new Bridge(this, session, plan.Legs, ringingSince, completion, bridgedOnFeed, feedWatch, stopping);
    }

    /// <summary>One bridge on its way.</summary>
    public sealed class Bridge : IDisposable
    {
        private readonly BridgeWatcher _watcher;
        private readonly EslOutboundSession _session;
        private readonly IReadOnlyList<PlannedLeg> _legs;
        private readonly long _ringingSince;
        private readonly Task<EslEvent> _completion;
        private readonly Task<string> _bridgedOnFeed;
        private readonly CancellationTokenSource _feedWatch;
        private readonly CancellationToken _stopping;

        internal Bridge(BridgeWatcher watcher, EslOutboundSession session, IReadOnlyList<PlannedLeg> legs, long ringingSince, Task<EslEvent> completion, Task<string> bridgedOnFeed, CancellationTokenSource feedWatch, CancellationToken stopping)
        {
            _stopping = stopping;
            _watcher = watcher;
            _session = session;
            _legs = legs;
            _ringingSince = ringingSince;
            _completion = completion;
            _bridgedOnFeed = bridgedOnFeed;
            _feedWatch = feedWatch;
        }

        /// <summary>
        /// How the bridge ended. A phone answering shows as the caller's CHANNEL_BRIDGE; the bridge itself completes
        /// only when the conversation ends, so the answer is told when it happens. The call's own socket says so in
        /// <c>socket ... async</c> mode; without async FreeSWITCH runs the bridge inline and holds the socket's events
        /// until it returns (mod_event_socket.c: listener_run calls parse_command, whose sendmsg runs
        /// switch_ivr_parse_event in the channel's thread, and only read_packet sends events), so the channel feed
        /// says it instead. Whichever is first.
        /// </summary>
        public async Task<RingEnd> EndAsync()
        {
            var (session, time, claims) = (_session, _watcher._time, _watcher._claims);
            await Task.WhenAny(_completion, session.Bridged, _bridgedOnFeed).ConfigureAwait(false);
            string? answeredLeg = null;
            if (session.Bridged.IsCompletedSuccessfully)
            {
                answeredLeg = (await session.Bridged.ConfigureAwait(false)).OtherLegUniqueId;
            }
            else if (_bridgedOnFeed.IsCompletedSuccessfully)
            {
                answeredLeg = await _bridgedOnFeed.ConfigureAwait(false);
            }
            await _feedWatch.CancelAsync().ConfigureAwait(false);
            if (answeredLeg is not null && claims.PickedUpBy(session.UniqueId) is null)
            {
                var (rang, answeredAt) = (time.GetElapsedTime(_ringingSince), time.GetTimestamp());
                var device = await _watcher.DeviceOfAsync(answeredLeg, _legs, _stopping).ConfigureAwait(false);
                return new RingEnd.Answered(answeredLeg, device, rang, TalkAsync(device, answeredAt));
            }
            var completed = await _completion.ConfigureAwait(false);
            var outcome = BridgeOutcome.From(completed);
            switch (outcome.Result)
            {
                case BridgeResult.Answered:
                    // Answered, and the conversation already over, with no CHANNEL_BRIDGE seen first (the feed was down,
                    // or its event lost the race with this completion): the talk time is FreeSWITCH's.
                    var rang = time.GetElapsedTime(_ringingSince);
                    var device = await _watcher.DeviceOfAsync(outcome.OtherLeg, _legs, _stopping).ConfigureAwait(false);
                    return new RingEnd.Answered(outcome.OtherLeg ?? "unknown", device, rang,
                        Task.FromResult(TalkEndOf(session, device, completed, outcome.TalkSeconds ?? 0)));
                case BridgeResult.PickedUp:
                    return new RingEnd.PickedUp(claims.PickedUpBy(session.UniqueId) ?? _watcher.DeviceOf(outcome.OtherLeg, null), outcome.OtherLeg,
                        claims.PickedUpFrom(session.UniqueId), claims.PickerCallOf(session.UniqueId));
                default:
                    return session.CallEnded.IsCancellationRequested || outcome.Cause is "ORIGINATOR_CANCEL"
                        ? new RingEnd.CallerGone()
                        : new RingEnd.NotAnswered(outcome.Cause);
            }
        }

        public void Dispose() => _feedWatch.Dispose();

        /// <summary>The conversation after an answer: over when the bridge returns (or the socket closes first).</summary>
        private async Task<TalkEnd> TalkAsync(string device, long answeredAt)
        {
            EslEvent? ended = null;
            try
            {
                ended = await _completion.ConfigureAwait(false);
            }
            catch (EslConnectionClosedException)
            {
                // The socket went before the completion: the call ended (or FreeSWITCH went) all the same.
            }
            return TalkEndOf(_session, device, ended, _watcher._time.GetElapsedTime(answeredAt).TotalSeconds);
        }

        /// <param name="ended">The bridge's completion; null when the socket closed first.</param>
        private static TalkEnd TalkEndOf(EslOutboundSession session, string device, EslEvent? ended, double talked)
        {
            // The caller's own hangup ends the bridge with the caller's channel already down; the other way round
            // the bridge returns first and hangup_after_bridge then ends the caller.
            var callerHungUp = ended is null ? session.CallEnded.IsCancellationRequested : ended.AnswerState == "hangup";
            // last_bridge_hangup_cause is set on the caller by whichever partner hangs up (switch_channel.c,
            // switch_channel_perform_hangup, switch_channel_set_variable_partner), a member that declined while the
            // group rang among them (a busy member's USER_BUSY): when the caller ended the talk, its own cause says it.
            var cause = (callerHungUp ? ended?.HangupCause ?? session.HangupCause : null)
                ?? ended?.GetVariable("last_bridge_hangup_cause") ?? ended?.GetVariable("bridge_hangup_cause") ?? ended?.HangupCause ?? "NORMAL_CLEARING";
            return new TalkEnd(talked, callerHungUp ? "caller" : device, cause);
        }
    }

    /// <summary>
    /// Which device a leg rang, from the channel tracker (our device variable, else its SIP identity);
    /// a single-leg plan names its device even when the feed is down.
    /// </summary>
    internal string DeviceOf(string? legUuid, IReadOnlyList<PlannedLeg>? legs)
    {
        if (legUuid is not null && _tracker.KnownDevice(legUuid) is { } device)
        {
            return device;
        }
        return legs is [var only] ? only.Device.Id : "unknown";
    }

    /// <summary>
    /// The device of an answered leg the call's own socket named, once the channel feed has shown it: the socket can
    /// be ahead of the feed by a few milliseconds (the bridge of a short conversation returns, and FreeSWITCH sends
    /// the socket's held events with its reply), and least_recent's memory, the log line and the record need the
    /// device, not "unknown". A leg the feed showed and saw end is known too. Waited for at most <see cref="FeedTrail"/>
    /// (with the feed down it never shows).
    /// </summary>
    internal async Task<string> DeviceOfAsync(string? legUuid, IReadOnlyList<PlannedLeg> legs, CancellationToken cancellationToken)
    {
        if (legUuid is null || legs.Count <= 1 || _tracker.KnownDevice(legUuid) is not null)
        {
            return DeviceOf(legUuid, legs);
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(FeedTrail);
        try
        {
            return await _tracker.DeviceKnownAsync(legUuid, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeviceOf(legUuid, legs);
        }
    }

    /// <summary>How long an answer's report waits for the feed to show the answered leg (it trails by milliseconds).</summary>
    private static readonly TimeSpan FeedTrail = TimeSpan.FromMilliseconds(500);
}
