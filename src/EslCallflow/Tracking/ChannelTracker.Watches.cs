using EslCallflow.Esl.Messages;

namespace EslCallflow.Tracking;

/// <summary>
/// How a channel hung up, as the feed told it once the hangup was complete: its cause, mod_sofia's
/// <c>sip_hangup_disposition</c> (<c>recv_bye</c>, <c>send_bye</c>, <c>recv_cancel</c>...), the cause of the last bridge it
/// was in, and whether it was still joined to another leg when it hung up (FreeSWITCH fires a leg's CHANNEL_HANGUP
/// when its own BYE arrives, before the bridge it is in ends; a leg that the other side's hangup ended gets
/// CHANNEL_UNBRIDGE first). All null when the feed never showed it (the switch no longer had the channel).
/// </summary>
public sealed record ChannelHangup(string? Cause, string? SipDisposition, string? LastBridgeCause, bool? WhileBridged)
{
    /// <summary>The leg it was last joined to (or being joined to: an intercept's picker names its caller even when it hung up before uuid_bridge joined them).</summary>
    public string? OtherLeg { get; init; }

    /// <summary>Its own phone hung up (or cancelled), as far as the feed says; null when it does not say.</summary>
    public bool? ByItsPhone => SipDisposition switch
    {
        "recv_bye" or "recv_cancel" or "recv_refuse" => true,
        "send_bye" or "send_cancel" or "send_refuse" => false,
        _ => WhileBridged,
    };
}

/// <summary>
/// Watches on single channels for calls that have no socket of their own (the dialplan fast path): the next
/// time a channel is joined to another leg, on either side of the bridge (after a pickup FreeSWITCH fires
/// CHANNEL_BRIDGE for the picker only, naming the caller as the other leg), and its hangup once complete (with
/// what <see cref="EndedAsync"/>, which tells an end as soon as it is seen, does not know yet).
/// </summary>
public sealed partial class ChannelTracker
{
    /// <summary>What the feed must decode for <see cref="HungUpAsync"/> (part of <see cref="HeadersRead"/>; a property, read when that list is built).</summary>
    private static string[] HangupHeaders => ["variable_sip_hangup_disposition", "variable_last_bridge_hangup_cause"];

    private readonly Dictionary<string, TaskCompletionSource<string>> _joinWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<ChannelHangup>> _hangupWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<string>> _deviceWatches = new(StringComparer.Ordinal);

    /// <summary>
    /// Completes with the other leg's UUID at the next CHANNEL_BRIDGE that names <paramref name="uuid"/> as either
    /// leg. One watch per channel; a new one replaces the last. Cancelled (and forgotten) by <paramref name="cancellationToken"/>.
    /// </summary>
    public Task<string> JoinedAsync(string uuid, CancellationToken cancellationToken) => Watch(_joinWatches, uuid, cancellationToken);

    /// <summary>
    /// Completes when the channel's hangup is complete: its CHANNEL_HANGUP_COMPLETE (which carries mod_sofia's
    /// disposition), else its CHANNEL_DESTROY, else a rebuild from the switch without it. One watch per channel;
    /// cancelled by <paramref name="cancellationToken"/>.
    /// </summary>
    public Task<ChannelHangup> HungUpAsync(string uuid, CancellationToken cancellationToken) => Watch(_hangupWatches, uuid, cancellationToken);

    /// <summary>
    /// Completes with the device a channel rings once the feed has shown it (<see cref="KnownDevice"/>): at once when
    /// it has, the channel here or lately ended. A call's own socket can name an answered leg before the feed has shown
    /// that leg at all (a conversation of a moment: the bridge returns and the socket's held events come with its
    /// reply, while the feed's events of the leg are still on their way). One watch per channel; cancelled by
    /// <paramref name="cancellationToken"/>.
    /// </summary>
    public Task<string> DeviceKnownAsync(string uuid, CancellationToken cancellationToken) =>
        Watch(_deviceWatches, uuid, cancellationToken, () => KnownDeviceLocked(uuid));

    private Task<T> Watch<T>(Dictionary<string, TaskCompletionSource<T>> watches, string uuid, CancellationToken cancellationToken, Func<T?>? already = null)
        where T : class
    {
        var watch = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (already?.Invoke() is { } now)
            {
                return Task.FromResult(now);
            }
            if (watches.Remove(uuid, out var replaced))
            {
                replaced.TrySetCanceled(cancellationToken);
            }
            watches[uuid] = watch;
        }
        cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (watches.TryGetValue(uuid, out var current) && current == watch)
                {
                    watches.Remove(uuid);
                }
            }
            watch.TrySetCanceled(cancellationToken);
        });
        return watch.Task;
    }

    /// <summary>Before the event is applied: the bridged state both legs are in, and the watches it completes.</summary>
    private void NotifyWatchesLocked(EslEvent evt, string name, string uuid)
    {
        switch (name)
        {
            case "CHANNEL_BRIDGE" or "CHANNEL_UNBRIDGE":
                var joined = name == "CHANNEL_BRIDGE";
                var other = evt.OtherLegUniqueId;
                SetBridgedLocked(uuid, joined);
                if (!string.IsNullOrEmpty(other))
                {
                    SetBridgedLocked(other, joined);
                    if (joined)
                    {
                        CompleteLocked(_joinWatches, uuid, other);
                        CompleteLocked(_joinWatches, other, uuid);
                    }
                }
                break;
            case "CHANNEL_HANGUP":
                if (_channels.TryGetValue(uuid, out var channel))
                {
                    channel.HungUpWhileBridged ??= channel.Bridged;
                }
                break;
            case "CHANNEL_HANGUP_COMPLETE" or "CHANNEL_DESTROY" when _hangupWatches.ContainsKey(uuid):
                var ended = _channels.GetValueOrDefault(uuid);
                CompleteLocked(_hangupWatches, uuid, new ChannelHangup(
                    NonEmpty(evt.HangupCause), NonEmpty(evt["variable_sip_hangup_disposition"]), NonEmpty(evt["variable_last_bridge_hangup_cause"]), ended?.HungUpWhileBridged)
                {
                    OtherLeg = NonEmpty(evt.OtherLegUniqueId) ?? ended?.OtherLeg,
                });
                break;
        }
    }

    /// <summary>After a rebuild from the switch: a watched channel it no longer has hung up while the feed was away.</summary>
    private void HangupWatchesGoneLocked(HashSet<string> present)
    {
        foreach (var gone in _hangupWatches.Keys.Where(u => !present.Contains(u)).ToList())
        {
            CompleteLocked(_hangupWatches, gone, new ChannelHangup(null, null, null, null));
        }
    }

    private void SetBridgedLocked(string uuid, bool bridged)
    {
        if (_channels.TryGetValue(uuid, out var channel))
        {
            channel.Bridged = bridged;
        }
    }

    private static void CompleteLocked<T>(Dictionary<string, TaskCompletionSource<T>> watches, string uuid, T value)
    {
        if (watches.Remove(uuid, out var watch))
        {
            watch.TrySetResult(value);
        }
    }
}
