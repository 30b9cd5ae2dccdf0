using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Pickup;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>
/// What the daemon knows beyond the documents when it plans a ring group's attempt, read before planning so the plan
/// stays a pure function (the socket and HTTP transports plan the same way): which devices are on an answered call
/// now, which members are logged out of the group's callflow, and what the group remembers for its strategy.
/// </summary>
/// <param name="BusyDeviceKeys">The <see cref="DeviceKey"/>s of every device on an answered call now.</param>
/// <param name="LoggedOut">Members logged out of the callflow's ring group (<see cref="MemberKey"/>).</param>
/// <param name="LastStarted">The device that started the group's previous call (round_robin).</param>
/// <param name="LastAnswered">When each device last answered a call of the group, in Unix milliseconds (least_recent).</param>
public sealed record RingGroupFacts(
    IReadOnlySet<string> BusyDeviceKeys,
    IReadOnlySet<string> LoggedOut,
    string? LastStarted,
    IReadOnlyDictionary<string, long> LastAnswered)
{
    public const string BusyReason = "busy";
    public const string LoggedOutReason = "logged_out";

    public static readonly RingGroupFacts None = new(
        new HashSet<string>(), new HashSet<string>(), null, new Dictionary<string, long>());

    /// <summary>
    /// Who a device logs in and out as: its owner (every device of the user leaves the group together), else the
    /// device itself.
    /// </summary>
    public static string MemberKey(Device device) => device.OwnerId is { } owner ? "user:" + owner : "device:" + device.Id;

    public bool IsLoggedOut(Device device) =>
        LoggedOut.Count > 0 && (LoggedOut.Contains("device:" + device.Id) || (device.OwnerId is { } owner && LoggedOut.Contains("user:" + owner)));

    public bool IsBusy(Device device)
    {
        if (BusyDeviceKeys.Count == 0)
        {
            return false;
        }
        foreach (var key in DeviceKey.Of(device))
        {
            if (BusyDeviceKeys.Contains(key))
            {
                return true;
            }
        }
        return false;
    }
}
