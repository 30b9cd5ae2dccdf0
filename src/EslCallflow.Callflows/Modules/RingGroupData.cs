using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

public enum RingStrategy
{
    Simultaneous,
    Single,
    WeightedRandom,
    /// <summary>One at a time, starting after the device that started the group's previous call.</summary>
    RoundRobin,
    /// <summary>One at a time, the device that answered a call of the group longest ago (or never) first.</summary>
    LeastRecent,
}

public sealed record RingGroupEndpoint(string Id, EndpointType Type, int Delay, int Timeout, int Weight)
{
    /// <summary>The member must press a key to take the call (<c>confirm</c>), or null.</summary>
    public LegConfirm? Confirm { get; init; }
}

/// <summary>
/// Confirm before connect: the answering leg hears <see cref="Prompt"/> and must press <see cref="Key"/> within
/// <see cref="Timeout"/> seconds of answering, else it is dropped and the others ring on (see <c>DialString</c>).
/// </summary>
public sealed record LegConfirm(string Key, string? Prompt, int Timeout)
{
    public const string DefaultKey = "1";
    public const int DefaultTimeout = 10;
}

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
    /// <summary><c>skip_busy</c>: devices on an answered call now are left out (reason <c>busy</c>).</summary>
    public bool SkipBusy { get; init; }

    /// <summary><c>caller_id_name_prefix</c>: put before the caller's name on the members' phones.</summary>
    public string? CallerIdNamePrefix { get; init; }

    /// <summary>
    /// Where this ring group keeps what it remembers (the rotation, who answered when): its callflow's id and the
    /// node's path in it, so a reload that keeps the node keeps its state. Null for device and user modules.
    /// </summary>
    public string? StateKey { get; init; }

    /// <summary>The callflow the node belongs to: ring_group_toggle logs members in and out of it.</summary>
    public string? CallflowId { get; init; }

    /// <summary>The strategy rings one device at a time (the legs go into the bridge separated by '|').</summary>
    public bool OneAtATime => Strategy != RingStrategy.Simultaneous;

    public const string Module = "ring_group";
    public const int DefaultTimeout = 20;
    public const int DefaultWeight = 20;

    public static IReadOnlyList<string> Modules { get; } = [Module];

    private static readonly Dictionary<string, RingStrategy> Strategies = new(StringComparer.Ordinal)
    {
        ["simultaneous"] = RingStrategy.Simultaneous,
        ["single"] = RingStrategy.Single,
        ["weighted_random"] = RingStrategy.WeightedRandom,
        ["round_robin"] = RingStrategy.RoundRobin,
        ["least_recent"] = RingStrategy.LeastRecent,
    };

    /// <summary>The strategy's name as documents write it.</summary>
    public string StrategyName => Strategies.First(s => s.Value == Strategy).Key;

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
            reader.Bool(data, "skip_module", path, false))
        {
            SkipBusy = reader.Bool(data, "skip_busy", path, false),
            CallerIdNamePrefix = reader.String(data, "caller_id_name_prefix", path, check: CheckPrefix),
            StateKey = reader.DocumentId is { } id ? $"{id}:{NodePath(path)}" : null,
            CallflowId = reader.DocumentId,
        };
    }

    /// <summary>
    /// <c>confirm</c> with <c>confirm_prompt</c>, <c>confirm_key</c> (digits, * or #; FreeSWITCH reads at most 9,
    /// switch_ivr_originate.c <c>collect_thread_run</c>'s <c>buf[10]</c>) and <c>confirm_timeout</c>; the last three
    /// are refused without <c>confirm</c>: they would do nothing.
    /// </summary>
    private static LegConfirm? ReadConfirm(DocumentReader reader, JsonElement item, string at)
    {
        var confirm = reader.Bool(item, "confirm", at, false);
        var prompt = reader.String(item, "confirm_prompt", at, check: v => SafeText.CheckMedia(v));
        var key = reader.String(item, "confirm_key", at, check: v => v.Length is >= 1 and <= 9 && v.All(c => c is (>= '0' and <= '9') or '*' or '#') ? null : "must be 1 to 9 of the keys 0-9, * and #");
        var timeout = reader.OptionalInt(item, "confirm_timeout", at, 1, 300);
        if (!confirm)
        {
            foreach (var (name, given) in new[] { ("confirm_prompt", prompt is not null), ("confirm_key", key is not null), ("confirm_timeout", timeout is not null) })
            {
                if (given)
                {
                    reader.Error($"{at}.{name}", "needs \"confirm\": true");
                }
            }
            return null;
        }
        return new LegConfirm(key ?? LegConfirm.DefaultKey, prompt, timeout ?? LegConfirm.DefaultTimeout);
    }

    /// <summary>The node's own path (the data's path without its <c>.data</c>).</summary>
    private static string NodePath(string dataPath) =>
        dataPath.EndsWith(".data", StringComparison.Ordinal) ? dataPath[..^".data".Length] : dataPath;

    private static string? CheckPrefix(string value) =>
        value.Length > 64 ? "must be at most 64 characters" : ChannelValue.Problem(value);

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
            var confirm = ReadConfirm(reader, item, at);
            if (id is not null && type is { } t)
            {
                endpoints.Add(new RingGroupEndpoint(id, t, delay, timeout, weight) { Confirm = confirm });
            }
        }
        return endpoints;
    }
}
