using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>Who is calling: a known device (internal call) or nobody we know (external, e.g. a gateway).</summary>
public sealed record CallerContext(Device? Device)
{
    public static readonly CallerContext External = new((Device?)null);

    public bool IsInternal => Device is not null;

    /// <summary>
    /// The caller's channel came with <c>continue_on_fail=true</c> and <c>hangup_after_bridge=true</c> already set
    /// (the shipped dialplan sets them before <c>socket</c>), so a ring group need not set them again.
    /// </summary>
    public bool BridgeSettingsSet { get; init; }

    /// <summary>Several switches: legs to phones go through the proxy where they registered; null for one switch alone.</summary>
    public PhoneRoute? PhoneRoute { get; init; }

    /// <summary>The caller id name the caller's own call came with (<c>Caller-Caller-ID-Name</c>); <c>caller_id_name_prefix</c> goes before it.</summary>
    public string? CallerIdName { get; init; }

    /// <summary>The caller id number the caller's own call came with; shown after the prefix when it has no name.</summary>
    public string? CallerIdNumber { get; init; }
}
