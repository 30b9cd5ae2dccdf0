using EslCallflow.Callflows.Pickup;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;

namespace EslCallflow.Calls.Pickup;

/// <summary>A call rung on another node, and where that node's FreeSWITCH is reached.</summary>
public sealed record ElsewhereLeg(RingingLeg Leg, string NodeSipUri);

/// <summary>The call a picker was moved to this node to take, and the claim it holds on it.</summary>
public sealed record MovedPickup(string CallKey, string Token);

/// <summary>
/// What a pickup needs from the other switches of a cluster (README, "Running several switches"): the calls
/// ringing on them, one claim per call across all nodes, and moving a picker to the node where its call rings.
/// None for one switch alone. The node that owns a call always decides its pickup (only it can intercept it), so
/// none of this can make a call picked up twice.
/// </summary>
public interface IPickupCluster
{
    /// <summary>Legs ringing on other live nodes under these keys; none when the store did not answer in time.</summary>
    Task<IReadOnlyList<ElsewhereLeg>> RingingElsewhereAsync(IReadOnlyList<string> deviceKeys, CancellationToken cancellationToken);

    /// <summary>False when another picker holds the call; true when this one does, or the store did not answer (the owner decides).</summary>
    Task<bool> TryClaimAsync(string callKey, string token, CancellationToken cancellationToken);

    Task ReleaseAsync(string callKey, string token, CancellationToken cancellationToken);

    /// <summary>Keeps a won claim, so that pickers on every node skip the call until it stops ringing.</summary>
    Task KeepAsync(string callKey, string token, CancellationToken cancellationToken);

    /// <summary>The call another node moved this picker here to take (what its redirect named), if any.</summary>
    MovedPickup? MovedHere(EslEvent channelData);

    /// <summary>Moves the picker to the node where the call rings (a redirect the proxy follows); false if it could not.</summary>
    Task<bool> MoveAsync(EslOutboundSession session, MovedPickup pickup, string nodeSipUri, CancellationToken cancellationToken);
}
