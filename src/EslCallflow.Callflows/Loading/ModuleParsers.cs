using System.Text.Json;
using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.Loading;

/// <summary>Parses and validates each module's <c>data</c>, as the KAZOO schemas (seeds/) define it.</summary>
internal static class ModuleParsers
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "ring_group", "group_pickup", "group_pickup_feature", "device", "user", "play", "response", "callflow", "transfer",
    };

    private static readonly Dictionary<string, DirectedPickupType> DirectedPickupTypes = new(StringComparer.Ordinal)
    {
        ["extension"] = DirectedPickupType.Extension,
        ["device"] = DirectedPickupType.Device,
        ["user"] = DirectedPickupType.User,
        ["group"] = DirectedPickupType.Group,
    };

    public static readonly Dictionary<string, EndpointType> EndpointTypes = new(StringComparer.Ordinal)
    {
        ["device"] = EndpointType.Device,
        ["user"] = EndpointType.User,
        ["group"] = EndpointType.Group,
    };

    private static readonly Dictionary<string, RingStrategy> Strategies = new(StringComparer.Ordinal)
    {
        ["simultaneous"] = RingStrategy.Simultaneous,
        ["single"] = RingStrategy.Single,
        ["weighted_random"] = RingStrategy.WeightedRandom,
    };

    public static object? Parse(DocumentReader reader, string module, JsonElement data, string path) => module switch
    {
        "ring_group" => RingGroup(reader, data, path),
        "group_pickup" => GroupPickup(reader, data, path),
        "group_pickup_feature" => new GroupPickupFeatureData(
            reader.Enum(data, "type", path, DirectedPickupTypes, DirectedPickupType.Extension) ?? DirectedPickupType.Extension,
            Scope(reader, data, path, "approved_device_id", "approved_user_id", "approved_group_id"),
            reader.Bool(data, "skip_module", path, false)),
        "device" => RingTarget(reader, EndpointType.Device, data, path),
        "user" => RingTarget(reader, EndpointType.User, data, path),
        "play" => new PlayData(reader.String(data, "id", path, required: true, check: v => SafeText.CheckMedia(v)) ?? "", reader.Bool(data, "skip_module", path, false), reader.Bool(data, "answer", path, true)),
        "response" => Response(reader, data, path),
        "callflow" => new CallflowJumpData(reader.String(data, "id", path, required: true, check: SafeText.CheckId) ?? "", reader.Bool(data, "skip_module", path, false)),
        "transfer" => new TransferData(
            reader.String(data, "extension", path, required: true, check: SafeText.CheckExtension) ?? "",
            reader.String(data, "context", path, check: SafeText.CheckExtension) ?? "default",
            reader.String(data, "dialplan", path, check: SafeText.CheckExtension) ?? "XML",
            reader.Bool(data, "skip_module", path, false)),
        _ => null,
    };

    private static RingGroupData RingGroup(DocumentReader reader, JsonElement data, string path)
    {
        var endpoints = new List<RingGroupEndpoint>();
        if (!DocumentReader.TryGet(data, "endpoints", out var list))
        {
            reader.Error($"{path}.endpoints", "is required");
        }
        else if (list.ValueKind != JsonValueKind.Array)
        {
            reader.Error($"{path}.endpoints", $"must be an array, not {DocumentReader.Describe(list)}");
        }
        else if (list.GetArrayLength() == 0)
        {
            reader.Error($"{path}.endpoints", "must list at least one endpoint");
        }
        else
        {
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
                var type = reader.Enum(item, "endpoint_type", at, EndpointTypes, null, required: true);
                var delay = reader.Int(item, "delay", at, 0, 0, 3600);
                var timeout = reader.Int(item, "timeout", at, RingGroupData.DefaultTimeout, 1, 3600);
                var weight = reader.Int(item, "weight", at, RingGroupData.DefaultWeight, 1, 100);
                if (id is not null && type is { } t)
                {
                    endpoints.Add(new RingGroupEndpoint(id, t, delay, timeout, weight));
                }
            }
        }

        var ringtones = reader.Object(data, "ringtones", path);
        return new RingGroupData(
            endpoints,
            reader.Enum(data, "strategy", path, Strategies, RingStrategy.Simultaneous) ?? RingStrategy.Simultaneous,
            reader.Int(data, "timeout", path, RingGroupData.DefaultTimeout, 1, 3600),
            reader.Int(data, "repeats", path, 1, 1, 100),
            reader.String(data, "ringback", path, check: v => SafeText.CheckMedia(v)),
            ringtones is { } r ? reader.String(r, "internal", $"{path}.ringtones", check: SafeText.CheckRingtone) : null,
            ringtones is { } r2 ? reader.String(r2, "external", $"{path}.ringtones", check: SafeText.CheckRingtone) : null,
            reader.Bool(data, "fail_on_single_reject", path, false),
            reader.Bool(data, "ignore_forward", path, true),
            reader.Bool(data, "skip_module", path, false));
    }

    private static GroupPickupData? GroupPickup(DocumentReader reader, JsonElement data, string path)
    {
        var scope = Scope(reader, data, path, "device_id", "user_id", "group_id");
        var approved = Scope(reader, data, path, "approved_device_id", "approved_user_id", "approved_group_id");
        var skip = reader.Bool(data, "skip_module", path, false);
        if (scope is null)
        {
            reader.Error(path, "group_pickup needs a scope: one of device_id, user_id or group_id");
            return null;
        }
        return new GroupPickupData(scope, approved, skip);
    }

    /// <summary>The most restrictive id that is set: device, then user, then group.</summary>
    private static PickupScope? Scope(DocumentReader reader, JsonElement data, string path, string device, string user, string group)
    {
        var deviceId = reader.String(data, device, path, check: SafeText.CheckId);
        var userId = reader.String(data, user, path, check: SafeText.CheckId);
        var groupId = reader.String(data, group, path, check: SafeText.CheckId);
        return deviceId is not null ? new PickupScope(PickupScopeKind.Device, deviceId)
            : userId is not null ? new PickupScope(PickupScopeKind.User, userId)
            : groupId is not null ? new PickupScope(PickupScopeKind.Group, groupId)
            : null;
    }

    private static RingTargetData RingTarget(DocumentReader reader, EndpointType type, JsonElement data, string path) => new(
        type,
        reader.String(data, "id", path, required: true, check: SafeText.CheckId) ?? "",
        reader.Int(data, "timeout", path, RingGroupData.DefaultTimeout, 1, 3600),
        reader.Bool(data, "skip_module", path, false));

    private static ResponseData Response(DocumentReader reader, JsonElement data, string path) => new(
        reader.Int(data, "code", path, 486, 400, 699),
        reader.String(data, "message", path, check: SafeText.CheckText) ?? "",
        reader.String(data, "media", path, check: v => SafeText.CheckMedia(v)),
        reader.Bool(data, "skip_module", path, false));
}
