using EslCallflow.Callflows.Pickup;

namespace EslCallflow.Tracking;

/// <summary>
/// Told by the <see cref="ChannelTracker"/> when a leg starts ringing toward a phone (or its caller or device
/// becomes known), when it stops, and what rings after the tracker was rebuilt from the switch. Called under the
/// tracker's lock, on the channel feed: an observer only records what it is told and never waits.
/// </summary>
public interface IRingingLegObserver
{
    void Ringing(RingingLeg leg, IReadOnlyList<string> deviceKeys);

    void Stopped(string legUuid);

    void Replaced(IReadOnlyList<(RingingLeg Leg, IReadOnlyList<string> DeviceKeys)> ringing);
}
