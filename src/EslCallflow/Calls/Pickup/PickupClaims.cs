using System.Collections.Concurrent;

namespace EslCallflow.Calls.Pickup;

/// <summary>
/// <see cref="IPickupClaims"/> within one daemon: the claims of the pickers on this daemon's calls, in memory.
/// </summary>
public sealed class PickupClaims : IPickupClaims
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<string, Claim> _claims = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public PickupClaims(TimeProvider time)
    {
        _time = time;
    }

    public int Count => _claims.Count;

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

    public void Won(string callKey, string pickerUuid, string pickerName, string? fromDevice = null) =>
        _claims[callKey] = new Claim(pickerUuid, pickerName, _time.GetTimestamp(), fromDevice);

    public string? PickedUpBy(string callerUuid) => _claims.GetValueOrDefault(callerUuid)?.PickerName;

    public string? PickerCallOf(string callerUuid) => _claims.GetValueOrDefault(callerUuid)?.PickerUuid;

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
