using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Esl;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using EslCallflow.Metrics;
using EslCallflow.Records;
using EslCallflow.Tracking;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Calls.Pickup;

/// <summary>
/// A pickup module (group_pickup, group_pickup_feature) on the picker's session (docs/behaviour.md group_pickup
/// rules 2 to 8): refuse pickers who are not approved before answering; otherwise take the longest-ringing call
/// on the module's target that this picker can claim, intercept it, and count it done when the picker is bridged.
/// Never dead air: every path ends in a bridge or a SIP response. Terminal: children are never run (rule 8).
/// </summary>
public sealed partial class PickupRunner
{
    private static readonly TimeSpan FeedPollInterval = TimeSpan.FromMilliseconds(20);
    private readonly IRingingLegs _legs;
    private readonly ChannelTracker _tracker;
    private readonly IPickupClaims _claims;
    private readonly PickupOptions _options;
    private readonly DaemonMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<PickupRunner> _logger;
    private readonly ConversationWatch _conversations;
    private readonly IPickupCluster? _cluster;

    /// <param name="cluster">Several switches: the calls ringing on the other nodes and the claims between them; none for one switch alone.</param>
    public PickupRunner(IRingingLegs legs, ChannelTracker tracker, IPickupClaims claims, ConversationWatch conversations, IOptions<PickupOptions> options, DaemonMetrics metrics, TimeProvider time, ILogger<PickupRunner> logger, IPickupCluster? cluster = null)
    {
        _cluster = cluster;
        _conversations = conversations;
        _legs = legs;
        _tracker = tracker;
        _claims = claims;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Runs the pickup, then counts its outcome for the pickups, the module and the call, and records it.</summary>
    public async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, IPickupData data, CancellationToken stopping)
    {
        var picked = await PickUpAsync(call, data, stopping).ConfigureAwait(false);
        Count(call, node.Module, picked);
        await FollowAsync(call, picked, call.Session, stopping).ConfigureAwait(false);
        return null;
    }

    /// <summary>A pickup's outcome in the pickup and call counters and the call's record.</summary>
    public void Count(ICall call, string module, PickupResult picked)
    {
        _metrics.Pickup(picked.Name);
        call.Decide(_metrics, module, picked.Name);
        call.Record.Pickup(picked.Name, picked.PickedCallUuid, picked.FromDeviceId, picked.SipCode);
    }

    /// <summary>
    /// After a pickup, the conversation to its end: who hung up, with what cause, in the log and the record; a side
    /// FreeSWITCH leaves answered with nobody is hung up by <see cref="ConversationWatch"/>. <paramref name="session"/>
    /// is the call's own socket session, when it has one.
    /// </summary>
    public async Task FollowAsync(ICall call, PickupResult picked, EslOutboundSession? session, CancellationToken stopping)
    {
        if (picked is not { Outcome: PickupOutcome.PickedUp, PickedCallUuid: { } pickedCall })
        {
            return;
        }
        if (session is not null)
        {
            // The picker has left the socket application already (intercept moved it); the socket is let go all the same.
            await SessionActions.ReleaseAsync(session).ConfigureAwait(false);
        }
        ConversationEnd end;
        try
        {
            end = await _conversations.FollowAsync(call.Uuid, pickedCall, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var hungUpBy = end.EndedByDaemon ? CallEnding.Daemon : end.FirstGone == call.Uuid ? CallEnding.Caller : PickedCall;
        LogConversationEnded(_logger, call.Uuid, end.TalkSeconds, pickedCall, hungUpBy, end.Cause);
        call.Record.TalkEnded(end.TalkSeconds, hungUpBy, end.Cause);
    }

    /// <summary><c>hung_up_by</c> in a pickup call's record when the call it picked up hung up first.</summary>
    public const string PickedCall = "picked_call";

    private async Task<PickupResult> PickUpAsync(CallContext call, IPickupData data, CancellationToken stopping)
    {
        var session = call.Session;
        var start = Begin(call, data);
        if (start.Refusal is { } refusal)
        {
            await SessionActions.RespondAsync(session, refusal.Code, refusal.Reason, refusal.Media, stopping).ConfigureAwait(false);
            return refusal.Result;
        }
        var target = start.Target!;
        var tried = new HashSet<string>(StringComparer.Ordinal);
        if (_cluster is not null)
        {
            return await PickUpInClusterAsync(call, target, tried, stopping).ConfigureAwait(false);
        }
        while (!session.CallEnded.IsCancellationRequested && ClaimNext(call, target, tried) is { } claim)
        {
            if (await TryInterceptAsync(call, claim, stopping).ConfigureAwait(false) is { } picked)
            {
                return picked;
            }
            if (await AnsweredForNothingAsync(session, stopping).ConfigureAwait(false) is { } gone)
            {
                return gone;
            }
        }

        return await NothingTakenAsync(call, target, stopping).ConfigureAwait(false);
    }

    /// <summary>intercept answered the picker but bridged nothing: no SIP error is possible any more, so it hangs up.</summary>
    private static async Task<PickupResult?> AnsweredForNothingAsync(EslOutboundSession session, CancellationToken stopping)
    {
        if (!session.IsAnswered && !session.CallEnded.IsCancellationRequested)
        {
            return null;
        }
        await SessionActions.TryHangupAsync(session, "NORMAL_TEMPORARY_FAILURE", stopping).ConfigureAwait(false);
        return new PickupResult(PickupOutcome.CallerGone);
    }

    /// <summary>No call taken: the picker gone meanwhile, or the "nothing to pick up" response at once.</summary>
    private async Task<PickupResult> NothingTakenAsync(CallContext call, DirectedPickupTarget target, CancellationToken stopping)
    {
        var session = call.Session;
        if (session.CallEnded.IsCancellationRequested)
        {
            return new PickupResult(PickupOutcome.CallerGone);
        }
        var nothing = NothingToPickUp(call, target);
        await SessionActions.RespondAsync(session, nothing.Code, nothing.Reason, nothing.Media, stopping).ConfigureAwait(false);
        return nothing.Result;
    }

    /// <summary>
    /// Several switches (socket path): every node's ringing calls in scope, oldest first; one claim across the nodes
    /// (SET NX), then this node's own claims, since the node that owns a call is the final arbiter; a call ringing on
    /// another node moves the picker there (302 relayed by the proxy) to run the pickup locally.
    /// </summary>
    private async Task<PickupResult> PickUpInClusterAsync(CallContext call, DirectedPickupTarget target, HashSet<string> tried, CancellationToken stopping)
    {
        var cluster = _cluster!;
        var session = call.Session;
        var picker = call.Caller.Device;
        var pickerName = picker?.Id ?? "external";
        var keys = PickupPlanner.ScopeKeys(target.Devices);
        // Moved here by another node to take one call: that call first, and never moved on again.
        var moved = cluster.MovedHere(session.ChannelData);
        var token = moved?.Token ?? session.UniqueId;
        while (!session.CallEnded.IsCancellationRequested)
        {
            // Asked afresh after every lost race or failed intercept: the next call in scope may have started ringing.
            var ringing = _legs.RingingOn(keys);
            var elsewhere = moved is not null ? [] : await cluster.RingingElsewhereAsync(keys, stopping).ConfigureAwait(false);
            if (elsewhere.Count > 0)
            {
                ringing = [.. ringing, .. elsewhere.Select(e => e.Leg)];
            }
            var candidates = PickupPlanner.Candidates(call.Config, target.Devices, picker, session.UniqueId, ringing).Where(c => !tried.Contains(c.CallKey)).ToList();
            var candidate = candidates.Find(c => c.CallKey == moved?.CallKey) ?? candidates.FirstOrDefault();
            if (candidate is null)
            {
                break;
            }
            tried.Add(candidate.CallKey);
            // One claim across the nodes first (the call a picker was moved here for is already its own).
            if (candidate.CallKey != moved?.CallKey && !await cluster.TryClaimAsync(candidate.CallKey, token, stopping).ConfigureAwait(false))
            {
                LogClaimedElsewhere(_logger, session.UniqueId, candidate.CallKey, candidate.DeviceId);
                continue;
            }
            if (elsewhere.FirstOrDefault(e => e.Leg.LegUuid == candidate.LegUuid) is { } remote)
            {
                if (await cluster.MoveAsync(session, new MovedPickup(candidate.CallKey, token), remote.NodeSipUri, stopping).ConfigureAwait(false))
                {
                    return new PickupResult(PickupOutcome.MovedToNode, candidate.CallerUuid, candidate.DeviceId);
                }
                await cluster.ReleaseAsync(candidate.CallKey, token, stopping).ConfigureAwait(false);
                continue;
            }
            // This node owns the call: its own claims decide, whatever the store said.
            if (!_claims.TryClaim(candidate.CallKey, session.UniqueId, pickerName, candidate.DeviceId))
            {
                LogClaimedElsewhere(_logger, session.UniqueId, candidate.CallKey, candidate.DeviceId);
                continue;
            }
            var guard = InterceptGuard.For(candidate.CallerUuid is { } callerUuid && _legs.IsAnswered(callerUuid));
            LogIntercepting(_logger, call.Uuid, candidate.LegUuid, candidate.DeviceId, candidate.CallerUuid ?? "unknown", guard.Name);
            if (await TryInterceptAsync(call, new PickupClaim(candidate, guard, pickerName), stopping).ConfigureAwait(false) is { } picked)
            {
                await cluster.KeepAsync(candidate.CallKey, token, stopping).ConfigureAwait(false);
                return picked;
            }
            await cluster.ReleaseAsync(candidate.CallKey, token, stopping).ConfigureAwait(false);
            if (await AnsweredForNothingAsync(session, stopping).ConfigureAwait(false) is { } gone)
            {
                return gone;
            }
        }
        return await NothingTakenAsync(call, target, stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// The pickup's first decision, on either way in: refused before anything is looked up (a picker who may not
    /// pick up learns nothing of what rings), refused because the digits name nothing, or the target it may take a
    /// call from.
    /// </summary>
    public PickupStart Begin(ICall call, IPickupData data)
    {
        var picker = call.Caller.Device;
        var pickerName = picker?.Id ?? "external";
        var authorization = PickupPlanner.Authorize(call.Config, data.Approved, picker);
        if (!authorization.Approved)
        {
            LogRefused(_logger, call.Uuid, pickerName, authorization.Reason, _options.RefusedCode);
            return new PickupStart(new PickupRefusal(new PickupResult(PickupOutcome.Refused, SipCode: _options.RefusedCode), _options.RefusedCode, _options.RefusedReason, null), null);
        }
        if (data.Target(call.Config, call.Captures) is not { } target)
        {
            var (kind, name) = data.Asked(call.Captures);
            LogUnknownTarget(_logger, call.Uuid, call.Number, name, kind, _options.UnknownTargetCode);
            return new PickupStart(new PickupRefusal(new PickupResult(PickupOutcome.UnknownTarget, SipCode: _options.UnknownTargetCode), _options.UnknownTargetCode, _options.UnknownTargetReason, null), null);
        }
        return new PickupStart(null, target);
    }

    /// <summary>
    /// The longest-ringing call on <paramref name="target"/> not in <paramref name="tried"/> that this picker can claim,
    /// claimed, with the guard its intercept runs behind; null when none is left. Asked afresh after every lost race
    /// or failed intercept: the next call in scope may have started ringing.
    /// </summary>
    internal PickupClaim? ClaimNext(ICall call, DirectedPickupTarget target, ISet<string> tried)
    {
        var picker = call.Caller.Device;
        var pickerName = picker?.Id ?? "external";
        var keys = PickupPlanner.ScopeKeys(target.Devices);
        foreach (var candidate in PickupPlanner.Candidates(call.Config, target.Devices, picker, call.Uuid, _legs.RingingOn(keys)))
        {
            if (!tried.Add(candidate.CallKey))
            {
                continue;
            }
            if (!_claims.TryClaim(candidate.CallKey, call.Uuid, pickerName, candidate.DeviceId))
            {
                LogClaimedElsewhere(_logger, call.Uuid, candidate.CallKey, candidate.DeviceId);
                continue;
            }
            var guard = InterceptGuard.For(candidate.CallerUuid is { } callerUuid && _legs.IsAnswered(callerUuid));
            LogIntercepting(_logger, call.Uuid, candidate.LegUuid, candidate.DeviceId, candidate.CallerUuid ?? "unknown", guard.Name);
            return new PickupClaim(candidate, guard, pickerName);
        }
        return null;
    }

    /// <summary>
    /// The claimed call's intercept joined the picker to <paramref name="bridgedTo"/>: picked up when that is the
    /// claimed call's caller (the claim is kept a while for the ring group and late pickers); null otherwise.
    /// </summary>
    internal PickupResult? Joined(ICall call, PickupClaim claim, string? bridgedTo)
    {
        var candidate = claim.Candidate;
        if (bridgedTo is null || (candidate.CallerUuid is not null && bridgedTo != candidate.CallerUuid))
        {
            return null;
        }
        _claims.Won(candidate.CallKey, call.Uuid, claim.PickerName, candidate.DeviceId);
        LogPickedUp(_logger, call.Uuid, claim.PickerName, candidate.DeviceId, bridgedTo);
        return new PickupResult(PickupOutcome.PickedUp, bridgedTo, candidate.DeviceId);
    }

    /// <summary>The intercept took nothing: the claim goes, so another picker (or this one's next try) may take the call.</summary>
    internal void Lost(ICall call, PickupClaim claim)
    {
        LogInterceptFailed(_logger, call.Uuid, claim.Candidate.LegUuid, claim.Candidate.DeviceId, claim.Guard.Name);
        _claims.Release(claim.Candidate.CallKey, call.Uuid);
    }

    /// <summary>Nothing in scope rings (or every call was taken first): the response the picker gets at once.</summary>
    public PickupRefusal NothingToPickUp(ICall call, DirectedPickupTarget target)
    {
        LogNothingToPickUp(_logger, call.Uuid, call.Caller.Device?.Id ?? "external", target.Description);
        return new PickupRefusal(new PickupResult(PickupOutcome.NothingToPickUp, SipCode: _options.NothingToPickUpCode),
            _options.NothingToPickUpCode, _options.NothingToPickUpReason, _options.NothingToPickUpMedia);
    }

    /// <summary>The picked-up call, or null when the intercept took nothing (the claim released).</summary>
    private async Task<PickupResult?> TryInterceptAsync(CallContext call, PickupClaim claim, CancellationToken stopping)
    {
        var session = call.Session;
        EslEvent? completion = null;
        try
        {
            completion = await SessionActions.InterceptAsync(session, claim.Guard.Commands, claim.Candidate.InterceptArgument, stopping).ConfigureAwait(false);
        }
        catch (EslConnectionClosedException)
        {
            // intercept moves the picker out of the socket application: the socket may close before the
            // completion is read. What happened is then read from the channel feed below.
        }

        var bridgedTo = completion is null
            ? await BridgedPerFeedAsync(session.UniqueId, claim.Candidate, stopping).ConfigureAwait(false)
            : InterceptGuard.BridgedTo(completion);
        if (Joined(call, claim, bridgedTo) is { } picked)
        {
            return picked;
        }
        Lost(call, claim);
        return null;
    }

    /// <summary>
    /// Without the intercept's completion, success is what the feed shows: the picker's channel answered and
    /// bridged to the caller. The feed may trail the socket by a moment, so it is asked until BridgeTimeout.
    /// </summary>
    private async Task<string?> BridgedPerFeedAsync(string pickerUuid, PickupCandidate candidate, CancellationToken stopping)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            if (_tracker.Find(pickerUuid) is { Answered: true, OtherLeg: { } other } && (candidate.CallerUuid is null || other == candidate.CallerUuid))
            {
                return other;
            }
            if (_time.GetElapsedTime(started) >= _options.BridgeTimeout)
            {
                return null;
            }
            await Task.Delay(FeedPollInterval, _time, stopping).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Call {CallUuid}: ended after {TalkSeconds:0.0} s with picked-up call {PickedCall}; {HungUpBy} hung up ({Cause})")]
    private static partial void LogConversationEnded(ILogger logger, string callUuid, double talkSeconds, string pickedCall, string hungUpBy, string cause);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Call {CallUuid}: pickup refused for {PickerDevice}: {Reason}; responding {SipCode}")]
    private static partial void LogRefused(ILogger logger, string callUuid, string pickerDevice, string reason, int sipCode);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Call {CallUuid}: nothing to pick up for {PickerDevice} in {PickupScope}")]
    private static partial void LogNothingToPickUp(ILogger logger, string callUuid, string pickerDevice, string pickupScope);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Call {CallUuid}: call {PickupCall} ringing on {RingingDevice} is being picked up by someone else; trying the next")]
    private static partial void LogClaimedElsewhere(ILogger logger, string callUuid, string pickupCall, string ringingDevice);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Call {CallUuid}: intercepting leg {RingingLeg} on {RingingDevice} (caller {CallerUuid}, guard {InterceptGuard})")]
    private static partial void LogIntercepting(ILogger logger, string callUuid, string ringingLeg, string ringingDevice, string callerUuid, string interceptGuard);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome picked up: {PickerDevice} took the call ringing on {RingingDevice} (caller {CallerUuid})")]
    private static partial void LogPickedUp(ILogger logger, string callUuid, string pickerDevice, string ringingDevice, string callerUuid);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Call {CallUuid}: directed pickup {Number}: no {TargetType} known as {Dialled}; responding {SipCode}")]
    private static partial void LogUnknownTarget(ILogger logger, string callUuid, string number, string dialled, string targetType, int sipCode);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Call {CallUuid}: intercept of leg {RingingLeg} on {RingingDevice} bridged nothing ({InterceptGuard} refused it, or it was answered or gone meanwhile)")]
    private static partial void LogInterceptFailed(ILogger logger, string callUuid, string ringingLeg, string ringingDevice, string interceptGuard);
}
