using System.Globalization;
using EslCallflow.Cluster;
using EslCallflow.GroupState;

namespace EslCallflow.Clustering;

/// <summary>
/// <see cref="IRingGroupState"/> shared by every node through the store, so that round_robin, least_recent and
/// ring_group_toggle agree whichever node a call lands on. Under <c>state:</c>: <c>rg:{group}:last_started</c>,
/// <c>rg:{group}:answered</c> (device to Unix milliseconds), <c>rg:loggedout:{callflow}</c> (members) and
/// <c>rg:loggedout</c> (callflows with any). With the store away a ring group rings with nothing remembered (every
/// member in, rotation from the start) and what it would have remembered is lost; a toggle is refused as unchanged.
/// </summary>
public sealed class ClusterRingGroupState(FeatureState state) : IRingGroupState
{
    private const string LoggedOutIndex = "rg:loggedout";

    public async Task<GroupMemory> ReadAsync(string? stateKey, string? callflowId, CancellationToken cancellationToken)
    {
        var loggedOut = callflowId is null ? [] : await state.MembersAsync(LoggedOutKey(callflowId), cancellationToken).ConfigureAwait(false) ?? [];
        if (stateKey is null)
        {
            return loggedOut.Count == 0 ? GroupMemory.Empty : GroupMemory.Empty with { LoggedOut = loggedOut.ToHashSet(StringComparer.Ordinal) };
        }
        var lastStarted = await state.GetAsync(GroupKey(stateKey, "last_started"), cancellationToken).ConfigureAwait(false);
        var answered = await state.FieldsAsync(GroupKey(stateKey, "answered"), cancellationToken).ConfigureAwait(false) ?? new Dictionary<string, string>();
        return new GroupMemory(
            loggedOut.ToHashSet(StringComparer.Ordinal),
            lastStarted,
            answered.Where(a => long.TryParse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .ToDictionary(a => a.Key, a => long.Parse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture), StringComparer.Ordinal));
    }

    public Task StartedAsync(string stateKey, string deviceId, CancellationToken cancellationToken) =>
        state.SetAsync(GroupKey(stateKey, "last_started"), deviceId, null, cancellationToken);

    public Task AnsweredAsync(string stateKey, string deviceId, DateTimeOffset at, CancellationToken cancellationToken) =>
        state.SetFieldAsync(GroupKey(stateKey, "answered"), deviceId, at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), cancellationToken);

    public async Task<bool> SetLoggedOutAsync(string callflowId, string member, bool loggedOut, CancellationToken cancellationToken)
    {
        var changed = await state.SetMemberAsync(LoggedOutKey(callflowId), member, loggedOut, cancellationToken).ConfigureAwait(false) ?? false;
        if (changed && loggedOut)
        {
            await state.SetMemberAsync(LoggedOutIndex, callflowId, true, cancellationToken).ConfigureAwait(false);
        }
        return changed;
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> LoggedOutAsync(CancellationToken cancellationToken)
    {
        var result = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var callflowId in await state.MembersAsync(LoggedOutIndex, cancellationToken).ConfigureAwait(false) ?? [])
        {
            if (await state.MembersAsync(LoggedOutKey(callflowId), cancellationToken).ConfigureAwait(false) is { Count: > 0 } members)
            {
                result[callflowId] = members;
            }
        }
        return result;
    }

    private static string GroupKey(string stateKey, string part) => $"rg:{Safe(stateKey)}:{part}";

    private static string LoggedOutKey(string callflowId) => "rg:loggedout:" + Safe(callflowId);

    // Names become parts of keys: anything but printable ASCII without spaces is percent-encoded.
    private static string Safe(string name) =>
        name.All(c => c > ' ' && c < 127 && c != '%') ? name : Uri.EscapeDataString(name).Replace(" ", "%20", StringComparison.Ordinal);
}
