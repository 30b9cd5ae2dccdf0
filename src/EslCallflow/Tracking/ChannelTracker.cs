using System.Globalization;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Tracking;

/// <summary>
/// Every channel on the switch, kept from the inbound event feed, with an index from device to the legs
/// ringing on it (what group_pickup searches). One writer (the feed) and many readers (calls), under one
/// lock held for microseconds. Destroyed channels leave at once; channels that fall silent are reaped.
/// </summary>
public sealed partial class ChannelTracker
{
    // Header names built once: the feed applies thousands of events a second.
    private const string DeviceVariableHeader = "variable_" + DialString.DeviceVariable;

    /// <summary>
    /// Every event header <see cref="Apply"/> reads, and nothing else: the feed decodes only these (see
    /// <c>EslSubscription.EventHeaders</c>). A header read here but missing from this list reads as absent.
    /// </summary>
    public static readonly IReadOnlyList<string> HeadersRead =
    [
        "Event-Name", "Unique-ID", "Call-Direction", "Other-Leg-Unique-ID", "Channel-Call-State", "Answer-State",
        DeviceVariableHeader, "variable_presence_id", "Channel-Presence-ID", "variable_dialed_user", "variable_dialed_domain",
        "Caller-Channel-Created-Time", "Event-Date-Timestamp", "Hangup-Cause",
        .. HangupHeaders,
    ];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, TrackedChannel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TrackedChannel>> _ringingByDevice = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<string>> _bridgeWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TaskCompletionSource<ChannelEnd>>> _endWatches = new(StringComparer.Ordinal);
    // Channels whose end the feed showed lately, so a watch that comes after the end still learns it, in order. A
    // watch begins within moments of the end it may miss; 4096 kept (about 0.7 MB) showed in the soak as managed heap
    // growing for its first minutes, so few are kept. A watch that misses one asks the switch instead.
    private readonly Dictionary<string, ChannelEnd> _recentlyEnded = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentlyEndedOrder = new();
    private const int RecentlyEndedKept = 256;
    private long _endSequence;
    private readonly TimeProvider _time;
    private readonly IRingingLegObserver? _observer;

    /// <param name="observer">Told what rings (several switches: the cluster store); none for one switch alone.</param>
    public ChannelTracker(TimeProvider time, IRingingLegObserver? observer = null)
    {
        _time = time;
        _observer = observer;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    public int RingingCount
    {
        get
        {
            lock (_gate)
            {
                return _channels.Values.Count(c => c.IsRinging);
            }
        }
    }

    /// <summary>Applies one CHANNEL_* event; anything else is ignored.</summary>
    public void Apply(EslEvent evt)
    {
        var name = evt.EventName;
        if (!name.StartsWith("CHANNEL_", StringComparison.Ordinal) || evt.UniqueId is not { Length: > 0 } uuid)
        {
            return;
        }
        lock (_gate)
        {
            NotifyWatchesLocked(evt, name, uuid);
            if (name == "CHANNEL_DESTROY")
            {
                RemoveLocked(uuid, NonEmpty(evt["Hangup-Cause"]));
                return;
            }
            var ending = name is "CHANNEL_HANGUP" or "CHANNEL_HANGUP_COMPLETE" || evt.AnswerState == "hangup";
            if (!_channels.TryGetValue(uuid, out var channel))
            {
                if (ending)
                {
                    // A late event of a channel already gone (or never seen): nothing to keep.
                    EndWatchesLocked(uuid, NonEmpty(evt["Hangup-Cause"]), seen: true);
                    return;
                }
                channel = new TrackedChannel(uuid);
                _channels.Add(uuid, channel);
            }
            Update(channel, evt, name, ending);
            if (channel.Device is { } device)
            {
                CompleteLocked(_deviceWatches, uuid, device);
            }
            ReindexLocked(channel);
            TellLocked(channel);
            if (ending)
            {
                channel.HangupCause ??= NonEmpty(evt["Hangup-Cause"]);
                EndWatchesLocked(uuid, channel.HangupCause, seen: true, channel);
            }
            if (name == "CHANNEL_BRIDGE" && channel.OtherLeg is { } other && _bridgeWatches.Remove(uuid, out var watch))
            {
                watch.TrySetResult(other);
            }
        }
    }

    /// <summary>
    /// Completes with the other leg's UUID at the next CHANNEL_BRIDGE of <paramref name="uuid"/> the feed applies
    /// (one watch per channel; a new one replaces the last). A call's own socket does not say that a phone
    /// answered while its application runs when FreeSWITCH runs the socket application without <c>async</c>:
    /// the feed does, in either mode. Cancelled by <paramref name="cancellationToken"/>, which also forgets it.
    /// </summary>
    public Task<string> BridgedAsync(string uuid, CancellationToken cancellationToken)
    {
        var watch = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_bridgeWatches.Remove(uuid, out var replaced))
            {
                replaced.TrySetCanceled(cancellationToken);
            }
            _bridgeWatches[uuid] = watch;
        }
        cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (_bridgeWatches.TryGetValue(uuid, out var current) && current == watch)
                {
                    _bridgeWatches.Remove(uuid);
                }
            }
            watch.TrySetCanceled(cancellationToken);
        });
        return watch.Task;
    }

    /// <summary>
    /// Completes when the feed shows <paramref name="uuid"/> hung up or destroyed, when a rebuild from the switch no
    /// longer has it, or when it is reaped; at once for a channel already hung up. A channel the tracker has not seen
    /// yet is waited for all the same (the feed may trail the call's own socket): whoever asks about a channel the
    /// tracker does not hold should ask the switch whether it still exists.
    /// </summary>
    public Task<ChannelEnd> EndedAsync(string uuid, CancellationToken cancellationToken)
    {
        var watch = new TaskCompletionSource<ChannelEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_recentlyEnded.TryGetValue(uuid, out var ended))
            {
                return Task.FromResult(ended);
            }
            if (!_endWatches.TryGetValue(uuid, out var watches))
            {
                _endWatches[uuid] = watches = [];
            }
            watches.Add(watch);
        }
        cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (_endWatches.TryGetValue(uuid, out var watches) && watches.Remove(watch) && watches.Count == 0)
                {
                    _endWatches.Remove(uuid);
                }
            }
            watch.TrySetCanceled(cancellationToken);
        });
        return watch.Task;
    }

    /// <summary>The channel feed is down: the observer is told; the tracker keeps its view until <see cref="Reset"/> rebuilds it.</summary>
    public void FeedLost()
    {
        lock (_gate)
        {
            _observer?.FeedLost();
        }
    }

    /// <summary>Replaces everything with what the switch reports now (after a (re)connect).</summary>
    public void Reset(IEnumerable<ChannelSeed> seeds)
    {
        var now = _time.GetTimestamp();
        var present = seeds.ToList();
        var kept = present.Select(s => s.Uuid).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            // A watched channel the switch no longer has ended while the feed was away.
            foreach (var gone in _endWatches.Keys.Where(u => !kept.Contains(u)).ToList())
            {
                EndWatchesLocked(gone, _channels.GetValueOrDefault(gone)?.HangupCause, seen: false, _channels.GetValueOrDefault(gone));
            }
            HangupWatchesGoneLocked(kept);
            _channels.Clear();
            _ringingByDevice.Clear();
            foreach (var seed in present)
            {
                var channel = new TrackedChannel(seed.Uuid)
                {
                    Outbound = seed.Outbound,
                    CallState = seed.CallState,
                    Answered = seed.Answered,
                    CreatedMicros = seed.CreatedMicros,
                    RingingSinceMicros = seed.CallState is "RINGING" or "EARLY" ? seed.CreatedMicros : 0,
                    OtherLeg = seed.OtherLeg,
                    SipIdentity = seed.SipIdentity,
                    DeviceId = seed.DeviceId,
                    LastSeen = now,
                };
                _channels[seed.Uuid] = channel;
                ReindexLocked(channel);
            }
            if (_observer is not null)
            {
                var ringing = new List<(RingingLeg, IReadOnlyList<string>)>();
                foreach (var channel in _channels.Values.Where(c => c.IndexedUnder.Length > 0))
                {
                    channel.Told = (channel.OtherLeg, channel.IndexedUnder);
                    ringing.Add((Leg(channel), channel.IndexedUnder));
                }
                _observer.Replaced(ringing);
            }
        }
    }

    /// <summary>Legs ringing now under any of <paramref name="deviceKeys"/> (see <see cref="DeviceKey"/>).</summary>
    public IReadOnlyList<RingingLeg> RingingOn(IEnumerable<string> deviceKeys)
    {
        var legs = new List<RingingLeg>();
        // A leg is filed under its device id and its SIP identity; report it once.
        var seen = new HashSet<TrackedChannel>(ReferenceEqualityComparer.Instance);
        lock (_gate)
        {
            foreach (var key in deviceKeys)
            {
                if (!_ringingByDevice.TryGetValue(key, out var ringing))
                {
                    continue;
                }
                foreach (var channel in ringing)
                {
                    if (seen.Add(channel))
                    {
                        legs.Add(Leg(channel));
                    }
                }
            }
        }
        return legs;
    }

    /// <summary>
    /// The <see cref="DeviceKey"/>s of every device on an answered call now (a leg toward it, or its own call, answered
    /// and not hung up): what <c>skip_busy</c> leaves out. Read once per attempt of such a group, so a scan.
    /// </summary>
    public IReadOnlySet<string> AnsweredDeviceKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var channel in _channels.Values)
            {
                if (channel.Answered && !channel.Ended)
                {
                    keys.UnionWith(KeysOf(channel));
                }
            }
        }
        return keys;
    }

    public bool IsRinging(string uuid)
    {
        lock (_gate)
        {
            return _channels.TryGetValue(uuid, out var channel) && channel.IsRinging;
        }
    }

    /// <summary>The device a channel rings or rang, if the feed has shown it: a channel here, or one lately ended.</summary>
    public string? KnownDevice(string uuid)
    {
        lock (_gate)
        {
            return KnownDeviceLocked(uuid);
        }
    }

    private string? KnownDeviceLocked(string uuid) =>
        _channels.TryGetValue(uuid, out var channel) ? channel.Device : _recentlyEnded.GetValueOrDefault(uuid)?.Device;

    public ChannelView? Find(string uuid)
    {
        lock (_gate)
        {
            return _channels.TryGetValue(uuid, out var channel) ? channel.ToView() : null;
        }
    }

    /// <summary>Every leg ringing now, for the operator's view.</summary>
    public IReadOnlyList<ChannelView> Ringing()
    {
        lock (_gate)
        {
            return [.. _channels.Values.Where(c => c.IsRinging).OrderBy(c => c.RingingSinceMicros).Select(c => c.ToView())];
        }
    }

    /// <summary>
    /// Drops channels that have been silent too long: a ringing leg after <paramref name="ringingSilence"/>,
    /// any channel after <paramref name="silence"/>. Their DESTROY was lost (a dropped feed, say).
    /// </summary>
    public int Reap(TimeSpan ringingSilence, TimeSpan silence)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            var stale = _channels.Values
                .Where(c => _time.GetElapsedTime(c.LastSeen, now) > (c.IsRinging ? ringingSilence : silence))
                .Select(c => c.Uuid)
                .ToList();
            foreach (var uuid in stale)
            {
                RemoveLocked(uuid);
            }
            return stale.Count;
        }
    }

    private void Update(TrackedChannel channel, EslEvent evt, string name, bool ending)
    {
        channel.LastSeen = _time.GetTimestamp();
        if (evt.CallDirection is { } direction)
        {
            channel.Outbound = direction == "outbound";
        }
        channel.OtherLeg = NonEmpty(evt.OtherLegUniqueId) ?? channel.OtherLeg;
        channel.CallState = NonEmpty(evt.ChannelCallState) ?? channel.CallState;
        channel.Answered |= name == "CHANNEL_ANSWER" || evt.AnswerState == "answered";
        channel.Ended |= ending;
        channel.DeviceId = NonEmpty(evt[DeviceVariableHeader]) ?? channel.DeviceId;
        channel.SipIdentity = NonEmpty(evt["variable_presence_id"]) ?? NonEmpty(evt["Channel-Presence-ID"]) ?? Dialled(evt) ?? channel.SipIdentity;
        if (channel.CreatedMicros == 0)
        {
            var created = Micros(evt["Caller-Channel-Created-Time"]);
            channel.CreatedMicros = created > 0 ? created : Micros(evt["Event-Date-Timestamp"]);
        }
        if (channel.RingingSinceMicros == 0 && channel.CallState is "RINGING" or "EARLY")
        {
            channel.RingingSinceMicros = Micros(evt["Event-Date-Timestamp"]) is > 0 and var at ? at : channel.CreatedMicros;
        }
    }

    private void ReindexLocked(TrackedChannel channel)
    {
        // Most events change neither whether a leg rings nor which phone it is: skip building its keys again.
        var from = (channel.IsRinging, channel.IsRinging ? channel.DeviceId : null, channel.IsRinging ? channel.SipIdentity : null);
        if (from == channel.IndexedFrom)
        {
            return;
        }
        channel.IndexedFrom = from;
        string[] wanted = from.IsRinging ? KeysOf(channel) : [];
        if (wanted.AsSpan().SequenceEqual(channel.IndexedUnder))
        {
            return;
        }
        Unindex(channel);
        foreach (var key in wanted)
        {
            if (!_ringingByDevice.TryGetValue(key, out var list))
            {
                _ringingByDevice[key] = list = [];
            }
            list.Add(channel);
        }
        channel.IndexedUnder = wanted;
    }

    private void RemoveLocked(string uuid, string? cause = null)
    {
        var known = _channels.Remove(uuid, out var channel);
        if (known)
        {
            Unindex(channel!);
            TellLocked(channel!);
        }
        EndWatchesLocked(uuid, channel?.HangupCause ?? cause, seen: true, channel);
    }

    /// <summary>The first end seen of a channel is kept (a DESTROY after its HANGUP changes nothing) and told to its watches.</summary>
    private void EndWatchesLocked(string uuid, string? cause, bool seen, TrackedChannel? channel = null)
    {
        if (!_recentlyEnded.TryGetValue(uuid, out var end))
        {
            end = new ChannelEnd(uuid, cause, seen, ++_endSequence) { Device = channel?.Device };
            if (end.Device is { } device)
            {
                CompleteLocked(_deviceWatches, uuid, device);
            }
            _recentlyEnded[uuid] = end;
            _recentlyEndedOrder.Enqueue(uuid);
            if (_recentlyEndedOrder.Count > RecentlyEndedKept)
            {
                _recentlyEnded.Remove(_recentlyEndedOrder.Dequeue());
            }
        }
        if (_endWatches.Remove(uuid, out var watches))
        {
            foreach (var watch in watches)
            {
                watch.TrySetResult(end);
            }
        }
    }

    /// <summary>Tells the observer when what it knows of this leg changed: ringing on its keys (with its caller), or not.</summary>
    private void TellLocked(TrackedChannel channel)
    {
        if (_observer is null)
        {
            return;
        }
        (string?, string[]?) now = channel.IndexedUnder.Length > 0 ? (channel.OtherLeg, channel.IndexedUnder) : default;
        if (now == channel.Told)
        {
            return;
        }
        channel.Told = now;
        if (now.Item2 is { } keys)
        {
            _observer.Ringing(Leg(channel), keys);
        }
        else
        {
            _observer.Stopped(channel.Uuid);
        }
    }

    private static RingingLeg Leg(TrackedChannel channel) =>
        new(channel.Uuid, channel.OtherLeg, channel.DeviceId, channel.SipIdentity, channel.RingingSinceMicros);

    private void Unindex(TrackedChannel channel)
    {
        foreach (var key in channel.IndexedUnder)
        {
            if (_ringingByDevice.TryGetValue(key, out var list))
            {
                list.Remove(channel);
                if (list.Count == 0)
                {
                    _ringingByDevice.Remove(key);
                }
            }
        }
        channel.IndexedUnder = [];
    }

    private static string[] KeysOf(TrackedChannel channel)
    {
        var sip = DeviceKey.ForSipIdentity(channel.SipIdentity);
        return (channel.DeviceId, sip) switch
        {
            (null, null) => [],
            (null, { } s) => [s],
            ({ } d, null) => [DeviceKey.ForId(d)],
            ({ } d, { } s) => [DeviceKey.ForId(d), s],
        };
    }

    private static string? Dialled(EslEvent evt) =>
        NonEmpty(evt["variable_dialed_user"]) is { } user && NonEmpty(evt["variable_dialed_domain"]) is { } domain ? user + "@" + domain : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static long Micros(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var micros) ? micros : 0;
}
