namespace EslCallflow.Callflows.Documents;

/// <summary>Every module's data: <c>skip_module</c> sends the flow straight to the <c>_</c> child.</summary>
public interface IModuleData
{
    bool SkipModule { get; }
}

public enum RingStrategy
{
    Simultaneous,
    Single,
    WeightedRandom,
}

public sealed record RingGroupEndpoint(string Id, EndpointType Type, int Delay, int Timeout, int Weight);

/// <summary>ring_group data, defaults applied as the KAZOO schema gives them.</summary>
public sealed record RingGroupData(
    IReadOnlyList<RingGroupEndpoint> Endpoints,
    RingStrategy Strategy,
    int Timeout,
    int Repeats,
    string? Ringback,
    string? RingtoneInternal,
    string? RingtoneExternal,
    bool FailOnSingleReject,
    bool IgnoreForward,
    bool SkipModule) : IModuleData
{
    public const int DefaultTimeout = 20;
    public const int DefaultWeight = 20;
}

public enum PickupScopeKind
{
    Device,
    User,
    Group,
}

public sealed record PickupScope(PickupScopeKind Kind, string Id)
{
    /// <summary>The kind of document <see cref="Id"/> names, mapped by name so neither enum's order matters.</summary>
    public EndpointType DocumentType => Kind switch
    {
        PickupScopeKind.Device => EndpointType.Device,
        PickupScopeKind.User => EndpointType.User,
        PickupScopeKind.Group => EndpointType.Group,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "not a pickup scope kind"),
    };
}

public sealed record GroupPickupData(PickupScope Scope, PickupScope? Approved, bool SkipModule) : IModuleData;

/// <summary>What the digits dialled after a directed-pickup feature code name (KAZOO group_pickup_feature <c>type</c>).</summary>
public enum DirectedPickupType
{
    Extension,
    Device,
    User,
    Group,
}

/// <summary>group_pickup_feature: the pattern's first capture names the target; approvals as for group_pickup.</summary>
public sealed record GroupPickupFeatureData(DirectedPickupType Type, PickupScope? Approved, bool SkipModule) : IModuleData;

/// <summary>Ring one device (<c>device</c>) or a user's devices (<c>user</c>).</summary>
public sealed record RingTargetData(EndpointType Type, string Id, int Timeout, bool SkipModule) : IModuleData;

/// <summary>play: answers the call first (as KAZOO's cf_play does) unless <c>answer</c> is false.</summary>
public sealed record PlayData(string Media, bool SkipModule, bool Answer = true) : IModuleData;

public sealed record ResponseData(int Code, string Message, string? Media, bool SkipModule) : IModuleData;

public sealed record CallflowJumpData(string Id, bool SkipModule) : IModuleData;

public sealed record TransferData(string Extension, string Context, string Dialplan, bool SkipModule) : IModuleData;
