using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Pickup;

/// <summary>Whether the picker may pick up; why not, in words for the log.</summary>
public sealed record PickupAuthorization(bool Approved, string Reason);

/// <summary>A call that may be picked up: its ringing leg, the caller's leg, and the in-scope device it rings.</summary>
public sealed record PickupCandidate(string LegUuid, string? CallerUuid, string DeviceId, long RingingSince)
{
    /// <summary>What identifies the call for claiming: the caller's leg, else the ringing leg.</summary>
    public string CallKey => CallerUuid ?? LegUuid;

    /// <summary>The <c>intercept</c> argument: the caller's leg, or <c>-bleg</c> with the ringing leg when the caller is unknown.</summary>
    public string InterceptArgument => CallerUuid ?? "-bleg " + LegUuid;
}

/// <summary>
/// group_pickup decisions (docs/behaviour.md, group_pickup rules 1 to 4), pure: who may pick up, which devices are
/// in scope, and which ringing calls are candidates, oldest first.
/// </summary>
public static class PickupPlanner
{
    /// <summary>Only the most restrictive approval that is set is checked; none set lets anyone pick up.</summary>
    public static PickupAuthorization Authorize(PbxConfiguration config, GroupPickupData data, Device? picker) => Authorize(config, data.Approved, picker);

    /// <summary>As for group_pickup, for any module that names an approval (group_pickup_feature too).</summary>
    public static PickupAuthorization Authorize(PbxConfiguration config, PickupScope? approval, Device? picker)
    {
        if (approval is not { } approved)
        {
            return new PickupAuthorization(true, "no approval restriction");
        }
        var what = $"approved_{approved.Kind.ToString().ToLowerInvariant()}_id {approved.Id}";
        if (picker is null)
        {
            return new PickupAuthorization(false, $"the caller is not a known device and {what} is set");
        }
        var approvedDevices = PickupScopes.DevicesIn(config, approved);
        return approvedDevices.Any(d => d.Id == picker.Id)
            ? new PickupAuthorization(true, $"device {picker.Id} is within {what}")
            : new PickupAuthorization(false, $"device {picker.Id} is not within {what}");
    }

    /// <summary>The tracker keys of every device in scope.</summary>
    public static IReadOnlyList<string> ScopeKeys(PbxConfiguration config, PickupScope scope) => ScopeKeys(PickupScopes.DevicesIn(config, scope));

    /// <summary>The tracker keys of these devices.</summary>
    public static IReadOnlyList<string> ScopeKeys(IEnumerable<Device> inScope) =>
        [.. inScope.SelectMany(DeviceKey.Of).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// Calls ringing on in-scope devices, one entry per call (its longest-ringing leg), oldest first; never
    /// the picker's own call or a call ringing on the picker's own device.
    /// </summary>
    public static IReadOnlyList<PickupCandidate> Candidates(PbxConfiguration config, PickupScope scope, Device? picker, string pickerUuid, IEnumerable<RingingLeg> ringing) =>
        Candidates(config, PickupScopes.DevicesIn(config, scope), picker, pickerUuid, ringing);

    /// <summary>As above, for an explicit set of devices (a directed pickup's target).</summary>
    public static IReadOnlyList<PickupCandidate> Candidates(PbxConfiguration config, IEnumerable<Device> devices, Device? picker, string pickerUuid, IEnumerable<RingingLeg> ringing)
    {
        var inScope = devices.DistinctBy(d => d.Id).ToDictionary(d => d.Id, StringComparer.Ordinal);
        var candidates = new Dictionary<string, PickupCandidate>(StringComparer.Ordinal);
        foreach (var leg in ringing)
        {
            var device = Identify(config, leg.DeviceId, leg.SipIdentity);
            if (device is null || !inScope.ContainsKey(device.Id) || device.Id == picker?.Id
                || leg.CallerUuid == pickerUuid || leg.LegUuid == pickerUuid
                || !IsSafeUuid(leg.LegUuid) || (leg.CallerUuid is not null && !IsSafeUuid(leg.CallerUuid)))
            {
                continue;
            }
            var candidate = new PickupCandidate(leg.LegUuid, leg.CallerUuid, device.Id, leg.RingingSince);
            if (!candidates.TryGetValue(candidate.CallKey, out var known) || Older(candidate, known))
            {
                candidates[candidate.CallKey] = candidate;
            }
        }
        return [.. candidates.Values.OrderBy(c => c.RingingSince).ThenBy(c => c.LegUuid, StringComparer.Ordinal)];
    }

    /// <summary>Our device variable first, then the SIP identity; a device variable naming no device is not trusted.</summary>
    public static Device? Identify(PbxConfiguration config, string? deviceId, string? sipIdentity)
    {
        if (deviceId is not null && config.Devices.TryGetValue(deviceId, out var byId))
        {
            return byId;
        }
        return DeviceKey.SplitSipIdentity(sipIdentity) is var (username, realm) ? config.FindDevice(username, realm) : null;
    }

    private static bool Older(PickupCandidate a, PickupCandidate b) =>
        a.RingingSince < b.RingingSince || (a.RingingSince == b.RingingSince && string.CompareOrdinal(a.LegUuid, b.LegUuid) < 0);

    /// <summary>A UUID goes into an intercept or uuid_getvar command: letters, digits and '-' only, so nothing can ride along.</summary>
    public static bool IsSafeUuid(string uuid) =>
        uuid.Length is > 0 and <= 64 && uuid.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
