using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>A device that will ring, with the timing and weight it inherited from its member.</summary>
public sealed record ResolvedLeg(Device Device, int Delay, int Timeout, int Weight)
{
    /// <summary>Inherited from the ring group's member that reached the device.</summary>
    public LegConfirm? Confirm { get; init; }
}

/// <summary>A device left out, and why (for the log line that explains who did not ring).</summary>
public sealed record Exclusion(string DeviceId, string Reason);

public sealed record ResolvedMembers(IReadOnlyList<ResolvedLeg> Legs, IReadOnlyList<Exclusion> Excluded);
