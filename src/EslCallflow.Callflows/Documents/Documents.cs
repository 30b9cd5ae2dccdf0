using System.Text.Json;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Documents;

/// <summary>Caller id shown to the called phone.</summary>
public sealed record CallerId(string? Name, string? Number);

/// <summary>A SIP identity <c>username@realm</c> and how to ring it.</summary>
public sealed record Device(
    string Id,
    string? Name,
    string? OwnerId,
    bool Enabled,
    string SipUsername,
    string SipRealm,
    bool DoNotDisturb,
    string? RingtoneInternal,
    string? RingtoneExternal,
    CallerId? CallerIdInternal,
    CallerId? CallerIdExternal,
    string? DialString)
{
    /// <summary>The whole document as loaded, unknown keys included (KAZOO documents carry more).</summary>
    public JsonElement Raw { get; init; }

    public string Endpoint => DialString ?? $"user/{SipUsername}@{SipRealm}";
}

public sealed record User(string Id, string? FirstName, string? LastName, bool Enabled, bool DoNotDisturb)
{
    public JsonElement Raw { get; init; }
}

public enum EndpointType
{
    Device,
    User,
    Group,
}

/// <summary>One entry of a group's <c>endpoints</c> object; its own delay/timeout override the ring group member's.</summary>
public sealed record GroupEndpoint(string Id, EndpointType Type, int? Delay, int? Timeout, int? Weight);

public sealed record Group(string Id, string? Name, IReadOnlyList<GroupEndpoint> Endpoints)
{
    public JsonElement Raw { get; init; }
}

/// <summary>A callflow node: a module with its data and its children keyed by hangup cause or <c>_</c>.</summary>
public sealed record FlowNode(string Module, JsonElement Data, IReadOnlyDictionary<string, FlowNode> Children, IModuleData? Parsed)
{
    public const string DefaultChild = "_";

    public FlowNode? Child(string key) => Children.GetValueOrDefault(key);
}

public sealed record Callflow(string Id, IReadOnlyList<string> Numbers, IReadOnlyList<string> Patterns, FlowNode Flow)
{
    public JsonElement Raw { get; init; }
}
