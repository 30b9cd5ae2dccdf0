using EslCallflow.Callflows.Pickup;

namespace EslCallflow.Calls.Pickup;

/// <summary>
/// The legs a pickup may take: what is ringing on a set of devices, and whether a caller is answered. A seam: with
/// several switches the view spans every node, not only this daemon's channel feed.
/// </summary>
public interface IRingingLegs
{
    /// <summary>Legs ringing now on the devices filed under <paramref name="deviceKeys"/> (see <see cref="DeviceKey"/>).</summary>
    IReadOnlyList<RingingLeg> RingingOn(IReadOnlyList<string> deviceKeys);

    /// <summary>Whether the caller's channel is answered (an IVR, a greeting), which picks the intercept's guard.</summary>
    bool IsAnswered(string callerUuid);
}
