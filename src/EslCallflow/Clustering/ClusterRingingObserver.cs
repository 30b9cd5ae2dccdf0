using EslCallflow.Callflows.Pickup;
using EslCallflow.Cluster;
using EslCallflow.Tracking;

namespace EslCallflow.Clustering;

/// <summary>What the channel tracker sees ringing on this node, handed to the cluster store's publisher.</summary>
public sealed class ClusterRingingObserver(RingingPublisher publisher) : IRingingLegObserver
{
    public void Ringing(RingingLeg leg, IReadOnlyList<string> deviceKeys) => publisher.Ringing(Entry(leg, deviceKeys));

    public void Stopped(string legUuid) => publisher.Stopped(legUuid);

    public void Replaced(IReadOnlyList<(RingingLeg Leg, IReadOnlyList<string> DeviceKeys)> ringing) =>
        publisher.ReplaceAll(ringing.Select(r => Entry(r.Leg, r.DeviceKeys)));

    private RingingEntry Entry(RingingLeg leg, IReadOnlyList<string> deviceKeys) =>
        new(leg.LegUuid, leg.CallerUuid, leg.DeviceId, leg.SipIdentity, deviceKeys, leg.RingingSince, publisher.NodeId);
}
