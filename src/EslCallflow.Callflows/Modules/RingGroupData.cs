using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

public enum RingStrategy
{
    Simultaneous,
    Single,
    WeightedRandom,
}

public sealed record RingGroupEndpoint(string Id, EndpointType Type, int Delay, int Timeout, int Weight);

/// <summary>ring_group (KAZOO cf_ring_group) data, defaults applied as the KAZOO schema (seeds/) gives them.</summary>
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
    bool SkipModule) : IModuleData<RingGroupData>
{
    public const string Module = "ring_group";
    public const int DefaultTimeout = 20;
    public const int DefaultWeight = 20;

    public static IReadOnlyList<string> Modules { get; } = [Module];

    private static readonly Dictionary<string, RingStrategy> Strategies = new(StringComparer.Ordinal)
    {
        ["simultaneous"] = RingStrategy.Simultaneous,
        ["single"] = RingStrategy.Single,
        ["weighted_random"] = RingStrategy.WeightedRandom,
    };

    public IEnumerable<DocumentReference> References =>
        Endpoints.Select((e, i) => new DocumentReference(DocumentReference.KindOf(e.Type), e.Id, $"endpoints[{i}].id"));

    public RingGroupData Rings => this;

    /// <summary>
    /// Ring one device, or every device of a user at once, for <paramref name="timeout"/> seconds: a simultaneous
    /// ring group of that one member, as the device and user modules ring.
    /// </summary>
    public static RingGroupData RingOne(EndpointType type, string id, int timeout) => new(
        Endpoints: [new RingGroupEndpoint(id, type, Delay: 0, timeout, DefaultWeight)],
        Strategy: RingStrategy.Simultaneous,
        Timeout: timeout,
        Repeats: 1,
        Ringback: null,
        RingtoneInternal: null,
        RingtoneExternal: null,
        FailOnSingleReject: false,
        IgnoreForward: true,
        SkipModule: false);

    public static RingGroupData Parse(string module, DocumentReader reader, JsonElement data, string path)
    {
        var ringtones = reader.Object(data, "ringtones", path);
        return new RingGroupData(
            ReadEndpoints(reader, data, path),
            reader.Enum(data, "strategy", path, Strategies, RingStrategy.Simultaneous) ?? RingStrategy.Simultaneous,
            reader.Int(data, "timeout", path, DefaultTimeout, 1, 3600),
            reader.Int(data, "repeats", path, 1, 1, 100),
            reader.String(data, "ringback", path, check: v => SafeText.CheckMedia(v)),
            ringtones is { } r ? reader.String(r, "internal", $"{path}.ringtones", check: SafeText.CheckRingtone) : null,
            ringtones is { } r2 ? reader.String(r2, "external", $"{path}.ringtones", check: SafeText.CheckRingtone) : null,
            reader.Bool(data, "fail_on_single_reject", path, false),
            reader.Bool(data, "ignore_forward", path, true),
            reader.Bool(data, "skip_module", path, false));
    }

    private static List<RingGroupEndpoint> ReadEndpoints(DocumentReader reader, JsonElement data, string path)
    {
        var endpoints = new List<RingGroupEndpoint>();
        if (!DocumentReader.TryGet(data, "endpoints", out var list))
        {
            reader.Error($"{path}.endpoints", "is required");
            return endpoints;
        }
        if (list.ValueKind != JsonValueKind.Array)
        {
            reader.Error($"{path}.endpoints", $"must be an array, not {DocumentReader.Describe(list)}");
            return endpoints;
        }
        if (list.GetArrayLength() == 0)
        {
            reader.Error($"{path}.endpoints", "must list at least one endpoint");
            return endpoints;
        }
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var at = $"{path}.endpoints[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                reader.Error(at, $"must be an object, not {DocumentReader.Describe(item)}");
                continue;
            }
            var id = reader.String(item, "id", at, required: true, check: SafeText.CheckId);
            var type = reader.Enum(item, "endpoint_type", at, EndpointTypeNames.ByName, null, required: true);
            var delay = reader.Int(item, "delay", at, 0, 0, 3600);
            var timeout = reader.Int(item, "timeout", at, DefaultTimeout, 1, 3600);
            var weight = reader.Int(item, "weight", at, DefaultWeight, 1, 100);
            if (id is not null && type is { } t)
            {
                endpoints.Add(new RingGroupEndpoint(id, t, delay, timeout, weight));
            }
        }
        return endpoints;
    }
}
