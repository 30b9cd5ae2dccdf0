using System.Collections.Concurrent;

namespace EslCallflow.Calls;

/// <summary>
/// FreeSWITCH's <c>intercept</c> has no guard against two pickers taking the same call, so a picker claims
/// the call first and exactly one claim wins (docs/behaviour.md group_pickup rule 7). A won pickup stays recorded
/// briefly so the ring group whose call it was can say who picked it up.
/// </summary>
public sealed class PickupClaims
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<string, Claim> _claims = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public PickupClaims(TimeProvider time)
    {
        _time = time;
    }

    public int Count => _claims.Count;

    /// <summary>
    /// Claims the call for this picker. The claim names the picker at once: the ring group hears of the pickup
    /// (its bridge completing with PICKED_OFF) before the picker's own CHANNEL_BRIDGE arrives.
    /// </summary>
    public bool TryClaim(string callKey, string pickerUuid, string pickerName, string? fromDevice = null)
    {
        Sweep();
        return _claims.TryAdd(callKey, new Claim(pickerUuid, pickerName, _time.GetTimestamp(), fromDevice));
    }

    public void Release(string callKey, string pickerUuid)
    {
        if (_claims.TryGetValue(callKey, out var claim) && claim.PickerUuid == pickerUuid)
        {
            _claims.TryRemove(new KeyValuePair<string, Claim>(callKey, claim));
        }
    }

    /// <summary>Keeps a won claim for a while, so late pickers skip the call until the feed shows it gone.</summary>
    public void Won(string callKey, string pickerUuid, string pickerName, string? fromDevice = null) =>
        _claims[callKey] = new Claim(pickerUuid, pickerName, _time.GetTimestamp(), fromDevice);

    /// <summary>Who picked up the call whose caller leg is <paramref name="callerUuid"/>, if a pickup here won it.</summary>
    public string? PickedUpBy(string callerUuid) => _claims.GetValueOrDefault(callerUuid)?.PickerName;

    /// <summary>The picker's own call that took the call whose caller leg is <paramref name="callerUuid"/>, if a pickup here won it.</summary>
    public string? PickerCallOf(string callerUuid) => _claims.GetValueOrDefault(callerUuid)?.PickerUuid;

    /// <summary>The device the call whose caller leg is <paramref name="callerUuid"/> was ringing on when a pickup here took it.</summary>
    public string? PickedUpFrom(string callerUuid) => _claims.GetValueOrDefault(callerUuid)?.FromDevice;

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var (key, claim) in _claims)
        {
            if (_time.GetElapsedTime(claim.At, now) > Keep)
            {
                _claims.TryRemove(new KeyValuePair<string, Claim>(key, claim));
            }
        }
    }

    private sealed record Claim(string PickerUuid, string PickerName, long At, string? FromDevice);
}
