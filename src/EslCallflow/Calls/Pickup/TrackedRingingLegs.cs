using EslCallflow.Callflows.Pickup;
using EslCallflow.Tracking;

namespace EslCallflow.Calls.Pickup;

/// <summary><see cref="IRingingLegs"/> of one switch: what this daemon's channel feed shows.</summary>
public sealed class TrackedRingingLegs(ChannelTracker tracker) : IRingingLegs
{
    public IReadOnlyList<RingingLeg> RingingOn(IReadOnlyList<string> deviceKeys) => tracker.RingingOn(deviceKeys);

    public bool IsAnswered(string callerUuid) => tracker.Find(callerUuid) is { Answered: true };
}
