using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Esl;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using EslCallflow.Tracking;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using EslCallflow.Callflows.Modules;
using EslCallflow.Records;

namespace EslCallflow.Calls;

/// <summary>What a pickup may take: who is approved, the devices in scope, and how to name that scope in logs.</summary>
public sealed record PickupRequest(PickupScope? Approved, IReadOnlyList<Device> InScope, string Scope)
{
    /// <summary>group_pickup's fixed scope (a device, a user's devices, or a group's).</summary>
    public static PickupRequest For(PbxConfiguration config, GroupPickupData data) =>
        new(data.Approved, PickupScopes.DevicesIn(config, data.Scope), $"{data.Scope.Kind.ToString().ToLowerInvariant()} {data.Scope.Id}");
}

/// <summary>How a pickup attempt ended, for logs and metrics.</summary>
public enum PickupOutcome
{
    PickedUp,
    Refused,
    NothingToPickUp,
    CallerGone,
    /// <summary>A directed pickup named nothing known (no such extension or SIP user).</summary>
    UnknownTarget,
    /// <summary>The call rings on another node: the picker was moved there, where the pickup runs (several switches).</summary>
    MovedToNode,
}

/// <summary>How a pickup ended, and for a success the caller's leg taken and the device it was ringing on.</summary>
public sealed record PickupResult(PickupOutcome Outcome, string? PickedCallUuid = null, string? FromDeviceId = null, int? SipCode = null);

/// <summary>
/// group_pickup on the picker's session (docs/behaviour.md group_pickup rules 2 to 8): refuse pickers who are not
/// approved before answering; otherwise take the longest-ringing call in scope that this picker can claim,
/// intercept it, and count it done when the picker is bridged. Never dead air: every path ends in a bridge
/// or a SIP response.
/// </summary>
public sealed partial class GroupPickupRunner
{
    private readonly ChannelTracker _tracker;
    private readonly PickupClaims _claims;
    private readonly PickupOptions _options;
    private static readonly TimeSpan FeedPollInterval = TimeSpan.FromMilliseconds(20);
    private readonly ILogger<GroupPickupRunner> _logger;
    private readonly TimeProvider _time;
    private readonly ConversationWatch _conversations;
    private readonly IPickupCluster? _cluster;

    /// <param name="cluster">Several switches: the calls ringing on the other nodes and the claims between them; none for one switch alone.</param>
    public GroupPickupRunner(ChannelTracker tracker, PickupClaims claims, ConversationWatch conversations, IOptions<PickupOptions> options, TimeProvider time, ILogger<GroupPickupRunner> logger, IPickupCluster? cluster = null)
    {
        _cluster = cluster;
        _time = time;
        _conversations = conversations;
        _tracker = tracker;
        _claims = claims;
        _options = options.Value;
        _logger = logger;
    }

    public async Task<PickupResult> RunAsync(EslOutboundSession session, PbxConfiguration config, PickupRequest request, Device? picker, CancellationToken stopping)
    {
        var pickerName = picker?.Id ?? "external";
        var authorization = PickupPlanner.Authorize(config, request.Approved, picker);
        if (!authorization.Approved)
        {
            LogRefused(_logger, session.UniqueId, pickerName, authorization.Reason, _options.RefusedCode);
            await SessionActions.RespondAsync(session, _options.RefusedCode, _options.RefusedReason, null, stopping).ConfigureAwait(false);
            return new PickupResult(PickupOutcome.Refused, SipCode: _options.RefusedCode);
        }

        var keys = PickupPlanner.ScopeKeys(request.InScope);
        var tried = new HashSet<string>(StringComparer.Ordinal);
        // Moved here by another node to take one call: that call first, and never moved on again.
        var moved = _cluster?.MovedHere(session.ChannelData);
        var token = moved?.Token ?? session.UniqueId;
        while (!session.CallEnded.IsCancellationRequested)
        {
            // Asked afresh after every lost race or failed intercept: the next call in scope may have started ringing.
            IReadOnlyList<RingingLeg> ringing = _tracker.RingingOn(keys);
            var elsewhere = _cluster is null || moved is not null ? [] : await _cluster.RingingElsewhereAsync(keys, stopping).ConfigureAwait(false);
            if (elsewhere.Count > 0)
            {
                ringing = [.. ringing, .. elsewhere.Select(e => e.Leg)];
            }
            var candidates = PickupPlanner.Candidates(config, request.InScope, picker, session.UniqueId, ringing).Where(c => !tried.Contains(c.CallKey)).ToList();
            var candidate = candidates.Find(c => c.CallKey == moved?.CallKey) ?? candidates.FirstOrDefault();
            if (candidate is null)
            {
                break;
            }
            tried.Add(candidate.CallKey);
            // One claim across the nodes first (the call a picker was moved here for is already its own).
            if (_cluster is not null && candidate.CallKey != moved?.CallKey && !await _cluster.TryClaimAsync(candidate.CallKey, token, stopping).ConfigureAwait(false))
            {
                LogClaimedElsewhere(_logger, session.UniqueId, candidate.CallKey, candidate.DeviceId);
                continue;
            }
            if (elsewhere.FirstOrDefault(e => e.Leg.LegUuid == candidate.LegUuid) is { } remote)
            {
                if (await _cluster!.MoveAsync(session, new MovedPickup(candidate.CallKey, token), remote.NodeSipUri, stopping).ConfigureAwait(false))
                {
                    return new PickupResult(PickupOutcome.MovedToNode, candidate.CallerUuid, candidate.DeviceId);
                }
                await _cluster.ReleaseAsync(candidate.CallKey, token, stopping).ConfigureAwait(false);
                continue;
            }
            // This node owns the call: its own claims decide, whatever the store said.
            if (!_claims.TryClaim(candidate.CallKey, session.UniqueId, pickerName, candidate.DeviceId))
            {
                LogClaimedElsewhere(_logger, session.UniqueId, candidate.CallKey, candidate.DeviceId);
                continue;
            }
            if (await TryInterceptAsync(session, candidate, pickerName, stopping).ConfigureAwait(false) is { } bridgedTo)
            {
                if (_cluster is not null)
                {
                    await _cluster.KeepAsync(candidate.CallKey, token, stopping).ConfigureAwait(false);
                }
                return new PickupResult(PickupOutcome.PickedUp, bridgedTo, candidate.DeviceId);
            }
            _claims.Release(candidate.CallKey, session.UniqueId);
            if (_cluster is not null)
            {
                await _cluster.ReleaseAsync(candidate.CallKey, token, stopping).ConfigureAwait(false);
            }
            if (session.IsAnswered || session.CallEnded.IsCancellationRequested)
            {
                // intercept answered us but bridged nothing: no SIP error is possible any more.
                await SessionActions.TryHangupAsync(session, "NORMAL_TEMPORARY_FAILURE", stopping).ConfigureAwait(false);
                return new PickupResult(PickupOutcome.CallerGone);
            }
        }

        if (session.CallEnded.IsCancellationRequested)
        {
            return new PickupResult(PickupOutcome.CallerGone);
        }
        LogNothingToPickUp(_logger, session.UniqueId, pickerName, request.Scope);
        await SessionActions.RespondAsync(session, _options.NothingToPickUpCode, _options.NothingToPickUpReason, _options.NothingToPickUpMedia, stopping).ConfigureAwait(false);
        return new PickupResult(PickupOutcome.NothingToPickUp, SipCode: _options.NothingToPickUpCode);
    }

    /// <summary>
    /// After a pickup, the conversation to its end: who hung up, with what cause, in the log and the record; a side
    /// FreeSWITCH leaves answered with nobody is hung up by <see cref="ConversationWatch"/>.
    /// </summary>
    public async Task FollowAsync(CallContext call, PickupResult picked, CancellationToken stopping)
    {
        if (picked is not { Outcome: PickupOutcome.PickedUp, PickedCallUuid: { } pickedCall })
        {
            return;
        }
        ConversationEnd end;
        try
        {
            end = await _conversations.FollowAsync(call.Uuid, pickedCall, call.Session, stopping).ConfigureAwait(false);
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

    /// <summary>The caller's leg the picker was bridged to, or null when the intercept took nothing.</summary>
    private async Task<string?> TryInterceptAsync(EslOutboundSession session, PickupCandidate candidate, string pickerName, CancellationToken stopping)
    {
        var callerAnswered = candidate.CallerUuid is { } callerUuid && _tracker.Find(callerUuid) is { Answered: true };
        var guard = InterceptGuard.For(callerAnswered);
        LogIntercepting(_logger, session.UniqueId, candidate.LegUuid, candidate.DeviceId, candidate.CallerUuid ?? "unknown", guard.Name);
        EslEvent? completion = null;
        try
        {
            completion = await session.ExecuteAllAsync([.. guard.Commands, new EslExecute("intercept", candidate.InterceptArgument)], stopping).ConfigureAwait(false);
        }
        catch (EslConnectionClosedException)
        {
            // intercept moves the picker out of the socket application: the socket may close before the
            // completion is read. What happened is then read from the channel feed below.
        }

        var bridgedTo = completion is null
            ? await BridgedPerFeedAsync(session.UniqueId, candidate, stopping).ConfigureAwait(false)
            : InterceptGuard.BridgedTo(completion);
        if (bridgedTo is not null && (candidate.CallerUuid is null || bridgedTo == candidate.CallerUuid))
        {
            _claims.Won(candidate.CallKey, session.UniqueId, pickerName, candidate.DeviceId);
            LogPickedUp(_logger, session.UniqueId, pickerName, candidate.DeviceId, bridgedTo);
            return bridgedTo;
        }
        LogInterceptFailed(_logger, session.UniqueId, candidate.LegUuid, candidate.DeviceId, guard.Name);
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

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Call {CallUuid}: intercept of leg {RingingLeg} on {RingingDevice} bridged nothing ({InterceptGuard} refused it, or it was answered or gone meanwhile)")]
    private static partial void LogInterceptFailed(ILogger logger, string callUuid, string ringingLeg, string ringingDevice, string interceptGuard);
}
