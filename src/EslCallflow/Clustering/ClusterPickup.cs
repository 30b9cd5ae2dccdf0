using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Calls.Pickup;
using EslCallflow.Cluster;
using EslCallflow.Esl;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Clustering;

/// <summary>
/// <see cref="IPickupCluster"/> over the Redis store. A pickup of a call ringing on another node moves the picker
/// there as KAZOO does (ecallmgr_call_command.erl prepare_app/4, ecallmgr_channel_redirect:redirect_via_proxy):
/// the picker's INVITE is answered with a 302 naming that node in <c>X-Redirect-Server</c> and the call in
/// <c>X-Eslcallflow-Pickup</c>; the proxy's failure route relays the same INVITE there (deploy/kamailio), where the
/// same callflow runs and the call is local. The phone never sees the redirect.
/// </summary>
public sealed partial class ClusterPickup(ClusterStore store, IOptions<ClusterOptions> options, ILogger<ClusterPickup> logger) : IPickupCluster
{
    /// <summary>The header the proxy copies from the redirect into the relayed INVITE (FreeSWITCH: <c>variable_sip_h_</c>).</summary>
    public const string PickupHeader = "X-Eslcallflow-Pickup";

    /// <summary>The header naming the node to relay to, as kazoo-configs-kamailio reads it.</summary>
    public const string RedirectHeader = "X-Redirect-Server";

    /// <summary>How long a won claim is kept: pickers everywhere skip the call until it has surely stopped ringing.</summary>
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(2);

    private readonly ClusterOptions _options = options.Value;

    public async Task<IReadOnlyList<ElsewhereLeg>> RingingElsewhereAsync(IReadOnlyList<string> deviceKeys, CancellationToken cancellationToken)
    {
        var legs = await store.RingingOnAsync(deviceKeys, cancellationToken).ConfigureAwait(false);
        if (legs is null)
        {
            return [];
        }
        // This node's own legs come from its channel feed, which is never behind the store.
        return [.. legs.Where(l => l.Entry.NodeId != _options.NodeId)
            .Select(l => new ElsewhereLeg(new RingingLeg(l.Entry.LegUuid, l.Entry.CallerUuid, l.Entry.DeviceId, l.Entry.SipIdentity, l.Entry.RingingSince), l.NodeSipUri))];
    }

    public async Task<bool> TryClaimAsync(string callKey, string token, CancellationToken cancellationToken) =>
        await store.TryClaimAsync(callKey, token, cancellationToken).ConfigureAwait(false) != ClaimOutcome.HeldElsewhere;

    public Task ReleaseAsync(string callKey, string token, CancellationToken cancellationToken) =>
        store.ReleaseClaimAsync(callKey, token, cancellationToken);

    public Task KeepAsync(string callKey, string token, CancellationToken cancellationToken) =>
        store.KeepClaimAsync(callKey, token, Keep, cancellationToken);

    public MovedPickup? MovedHere(EslEvent channelData) =>
        channelData.GetVariable("sip_h_" + PickupHeader) is { } value && value.Split('/') is [var callKey, var token]
        && PickupPlanner.IsSafeUuid(callKey) && PickupPlanner.IsSafeUuid(token)
            ? new MovedPickup(callKey, token)
            : null;

    public async Task<bool> MoveAsync(EslOutboundSession session, MovedPickup pickup, string nodeSipUri, CancellationToken cancellationToken)
    {
        // Everything here reaches a SIP header or a URI: the node's URI was checked when read from the store, the call
        // and token are UUIDs, and the number is what the phone dialled, refused unless it is plain dial characters.
        var number = session.ChannelData["Caller-Destination-Number"];
        if (number is null || !PlainNumber(number) || SipUri.Check(nodeSipUri) is not null
            || !PickupPlanner.IsSafeUuid(pickup.CallKey) || !PickupPlanner.IsSafeUuid(pickup.Token))
        {
            LogCannotMove(logger, session.UniqueId, pickup.CallKey, nodeSipUri);
            return false;
        }
        LogMoving(logger, session.UniqueId, pickup.CallKey, nodeSipUri);
        try
        {
            // sip_rh_* are headers of the picker's response (mod_sofia.c, SWITCH_MESSAGE_INDICATE_REDIRECT answers an
            // unanswered call with a 302 whose Contact is the argument).
            await session.ExecuteAllAsync(
                [
                    // One application for both headers: FreeSWITCH reads each command a byte at a time (README, "Socket
                    // mode"). multiset splits on spaces (mod_dptools.c multiset_function); neither value has one.
                    new EslExecute("multiset", AppArgument.Encode($"sip_rh_{RedirectHeader}={nodeSipUri} sip_rh_{PickupHeader}={pickup.CallKey}/{pickup.Token}")),
                    new EslExecute("redirect", AppArgument.Encode($"sip:{number}@{SipUri.HostPort(nodeSipUri)}")),
                ],
                cancellationToken).ConfigureAwait(false);
        }
        catch (EslConnectionClosedException)
        {
            // The 302 ends the picker's call here: its socket may close before the redirect's completion is read.
        }
        return true;
    }

    private static bool PlainNumber(string number) =>
        number.Length is > 0 and <= 64 && number.All(c => char.IsAsciiLetterOrDigit(c) || c is '*' or '#' or '+' or '.' or '-' or '_');

    [LoggerMessage(EventId = 7030, Level = LogLevel.Information, Message = "Call {CallUuid}: call {PickupCall} rings on node {NodeSipUri}; moving the pickup there")]
    private static partial void LogMoving(ILogger logger, string callUuid, string pickupCall, string nodeSipUri);

    [LoggerMessage(EventId = 7031, Level = LogLevel.Warning, Message = "Call {CallUuid}: call {PickupCall} rings on node {NodeSipUri}, but the pickup cannot be moved there (what was dialled or the node is not plain text); trying the next")]
    private static partial void LogCannotMove(ILogger logger, string callUuid, string pickupCall, string nodeSipUri);
}
