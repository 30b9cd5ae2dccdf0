using System.Collections.Concurrent;
using System.Text.Json;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Esl;
using EslCallflow.Metrics;
using EslCallflow.Tracking;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Calls.Pickup;

/// <summary>How a conversation the daemon joined ended: who left first, with what cause, and whether the daemon had to end the other.</summary>
/// <param name="FirstGone">The UUID of the channel that ended first.</param>
/// <param name="EndedByDaemon">The other channel was left answered with nobody and the daemon hung it up.</param>
public sealed record ConversationEnd(string FirstGone, string Cause, double TalkSeconds, bool EndedByDaemon);

/// <summary>
/// Follows two channels the daemon joined (a picker and the caller it intercepted) until both are gone, and ends
/// one that FreeSWITCH leaves answered with nobody: no caller is left in dead air.
/// </summary>
/// <remarks>
/// <c>intercept</c> (switch_ivr_bridge.c <c>switch_ivr_intercept_session</c>) answers the caller, parks it and calls
/// <c>switch_ivr_uuid_bridge(picker, caller)</c>: the caller goes to CS_SOFT_EXECUTE and "falls asleep", and the
/// picker's own thread is what joins them (<c>uuid_bridge_on_soft_execute</c> returns at once for the channel that is
/// not CF_UUID_BRIDGE_ORIGINATOR). A picker that hangs up before its thread gets there leaves the caller answered in
/// CS_SOFT_EXECUTE (or CS_PARK, when the picker was already down and uuid_bridge refused), with nothing that will
/// ever hang it up. A channel in a state where only another channel's thread drives it, with its partner gone, is
/// stranded; one that runs applications again (a transfer, the dialplan) is left alone.
/// </remarks>
public sealed partial class ConversationWatch
{
    /// <summary>States in which a channel runs nothing of its own (switch_core_state_machine.c): only a partner moves it on.</summary>
    private static readonly HashSet<string> IdleStates = new(StringComparer.Ordinal)
    {
        "CS_SOFT_EXECUTE", "CS_PARK", "CS_RESET", "CS_HIBERNATE", "CS_CONSUME_MEDIA",
    };

    private readonly ConcurrentDictionary<(string, string), Lazy<Task<ConversationEnd>>> _following = new();
    private readonly ChannelTracker _tracker;
    private readonly ISwitchApi _switch;
    private readonly DaemonMetrics _metrics;
    private readonly TimeSpan _grace;
    private readonly TimeProvider _time;
    private readonly ILogger<ConversationWatch> _logger;
    private readonly CancellationToken _stopping;

    /// <param name="lifetime">
    /// Following ends when the daemon begins to stop: a conversation the daemon is only watching must not hold up the
    /// drain of the calls it is running.
    /// </param>
    public ConversationWatch(ChannelTracker tracker, ISwitchApi switchApi, DaemonMetrics metrics, IOptions<PickupOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<ConversationWatch> logger)
    {
        _stopping = lifetime.ApplicationStopping;
        _tracker = tracker;
        _switch = switchApi;
        _metrics = metrics;
        _grace = options.Value.StrandedGrace;
        _time = time;
        _logger = logger;
    }

    /// <summary>Conversations followed now (for tests and the operator).</summary>
    public int Count => _following.Count;

    /// <summary>
    /// Completes when both channels are gone. Two callers following the same pair (the picker's call and the call it
    /// picked up) share one watch, so a stranded channel is ended once.
    /// </summary>
    public Task<ConversationEnd> FollowAsync(string callUuid, string partnerUuid, CancellationToken cancellationToken)
    {
        var key = string.CompareOrdinal(callUuid, partnerUuid) < 0 ? (callUuid, partnerUuid) : (partnerUuid, callUuid);
        var started = _time.GetTimestamp();
        var watch = _following.GetOrAdd(key, k => new Lazy<Task<ConversationEnd>>(() => RunLinkedAsync(k.Item1, k.Item2, started, cancellationToken)));
        var task = watch.Value;
        _ = task.ContinueWith(_ => _following.TryRemove(new KeyValuePair<(string, string), Lazy<Task<ConversationEnd>>>(key, watch)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private async Task<ConversationEnd> RunLinkedAsync(string a, string b, long started, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        return await RunAsync(a, b, started, linked.Token).ConfigureAwait(false);
    }

    private async Task<ConversationEnd> RunAsync(string a, string b, long started, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var endA = await EndedAsync(a, cancellationToken).ConfigureAwait(false);
        var endB = await EndedAsync(b, cancellationToken).ConfigureAwait(false);
        var first = await (await Task.WhenAny(endA, endB).ConfigureAwait(false)).ConfigureAwait(false);
        if (endA.IsCompletedSuccessfully && endB.IsCompletedSuccessfully)
        {
            // Both over before the watch began (a picker gone at once): the tracker's order says who went first.
            var (ea, eb) = (endA.Result, endB.Result);
            first = eb.Order != 0 && (ea.Order == 0 || eb.Order < ea.Order) ? eb : ea;
        }
        var talked = _time.GetElapsedTime(started).TotalSeconds;
        var (survivor, survivorEnd) = first.Uuid == a ? (b, endB) : (a, endA);
        var cause = first.Cause ?? "NORMAL_CLEARING";

        // The partner's hangup normally ends the survivor within milliseconds (hangup_after_bridge, the bridge's own
        // teardown): only one still up after the grace is looked at.
        using var graceOver = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var grace = Task.Delay(_grace, _time, graceOver.Token);
        if (await Task.WhenAny(survivorEnd, grace).ConfigureAwait(false) == survivorEnd)
        {
            await graceOver.CancelAsync().ConfigureAwait(false);
            return new ConversationEnd(first.Uuid, cause, talked, EndedByDaemon: false);
        }
        cancellationToken.ThrowIfCancellationRequested();

        if (await StrandedStateAsync(survivor, first, cancellationToken).ConfigureAwait(false) is { } state)
        {
            LogStranded(_logger, survivor, first.Uuid, cause, state);
            try
            {
                await _switch.ApiAsync($"uuid_kill {survivor} NORMAL_CLEARING", cancellationToken).ConfigureAwait(false);
                _metrics.StrandedCallEnded(state);
                return new ConversationEnd(first.Uuid, cause, talked, EndedByDaemon: true);
            }
            catch (Exception ex) when (ex is EslConnectionClosedException or EslCommandException)
            {
                LogCouldNotEnd(_logger, survivor, ex.Message);
            }
        }
        await survivorEnd.ConfigureAwait(false);
        return new ConversationEnd(first.Uuid, cause, talked, EndedByDaemon: false);
    }

    /// <summary>
    /// The channel's end on the feed; for one the feed has not shown (yet), the switch is asked whether it still exists
    /// and one that does not has ended already.
    /// </summary>
    private async Task<Task<ChannelEnd>> EndedAsync(string uuid, CancellationToken cancellationToken)
    {
        var ended = _tracker.EndedAsync(uuid, cancellationToken);
        if (ended.IsCompleted || _tracker.Find(uuid) is not null || !PickupPlanner.IsSafeUuid(uuid))
        {
            return ended;
        }
        try
        {
            if ((await _switch.ApiAsync($"uuid_exists {uuid}", cancellationToken).ConfigureAwait(false)).Trim() == "false")
            {
                return Task.FromResult(new ChannelEnd(uuid, null, Seen: false));
            }
        }
        catch (Exception ex) when (ex is EslConnectionClosedException or EslCommandException)
        {
            // The feed is down: its end will show when it is back (a rebuild completes the watch).
        }
        return ended;
    }

    /// <summary>
    /// The state FreeSWITCH holds <paramref name="survivor"/> in when it is stranded: answered, in a state only a
    /// partner drives, and that partner gone (asked of the switch when the feed did not see it go). Null otherwise.
    /// </summary>
    private async Task<string?> StrandedStateAsync(string survivor, ChannelEnd partner, CancellationToken cancellationToken)
    {
        if (!PickupPlanner.IsSafeUuid(survivor) || !PickupPlanner.IsSafeUuid(partner.Uuid))
        {
            return null;
        }
        try
        {
            if (!partner.Seen && (await _switch.ApiAsync($"uuid_exists {partner.Uuid}", cancellationToken).ConfigureAwait(false)).Trim() == "true")
            {
                return null;
            }
            var dump = await _switch.ApiAsync($"uuid_dump {survivor} json", cancellationToken).ConfigureAwait(false);
            if (!dump.TrimStart().StartsWith('{'))
            {
                // "-ERR No such channel!": it went meanwhile.
                return null;
            }
            using var json = JsonDocument.Parse(dump);
            var root = json.RootElement;
            var state = root.TryGetProperty("Channel-State", out var s) ? s.GetString() : null;
            var answered = root.TryGetProperty("Answer-State", out var answer) && answer.GetString() == "answered";
            var application = root.TryGetProperty("variable_current_application", out var app) ? app.GetString() : null;
            if (state is null || !answered || !IdleStates.Contains(state))
            {
                LogNotStranded(_logger, survivor, partner.Uuid, state ?? "unknown", application ?? "none", answered);
                return null;
            }
            return state;
        }
        catch (Exception ex) when (ex is EslConnectionClosedException or EslCommandException or JsonException)
        {
            LogCouldNotEnd(_logger, survivor, ex.Message);
            return null;
        }
    }

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Call {CallUuid}: left answered with nobody after {PartnerUuid} hung up ({Cause}), held in {ChannelState}; the daemon hangs it up")]
    private static partial void LogStranded(ILogger logger, string callUuid, string partnerUuid, string cause, string channelState);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Call {CallUuid}: still up after {PartnerUuid} left, in {ChannelState} running {Application} (answered {Answered}): left alone")]
    private static partial void LogNotStranded(ILogger logger, string callUuid, string partnerUuid, string channelState, string application, bool answered);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Error, Message = "Call {CallUuid}: could not check or end a call left with nobody ({Reason})")]
    private static partial void LogCouldNotEnd(ILogger logger, string callUuid, string reason);
}
