using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>Who is calling: a known device (internal call) or nobody we know (external, e.g. a gateway).</summary>
public sealed record CallerContext(Device? Device)
{
    public static readonly CallerContext External = new((Device?)null);

    public bool IsInternal => Device is not null;
}
