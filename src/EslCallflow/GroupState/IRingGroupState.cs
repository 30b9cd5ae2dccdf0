namespace EslCallflow.GroupState;

/// <summary>
/// What ring groups remember between calls: where round_robin starts next, when each device last answered
/// (least_recent), and which members are logged out of which callflow's ring group (ring_group_toggle). One node keeps
/// it in a file under StatePath (<see cref="FileRingGroupState"/>); several nodes share it through their store.
/// </summary>
public interface IRingGroupState
{
    /// <summary>What the group at <paramref name="stateKey"/> (null: none) of callflow <paramref name="callflowId"/> remembers.</summary>
    Task<GroupMemory> ReadAsync(string? stateKey, string? callflowId, CancellationToken cancellationToken);

    /// <summary>A call of the group started with <paramref name="deviceId"/> (round_robin starts after it next time).</summary>
    Task StartedAsync(string stateKey, string deviceId, CancellationToken cancellationToken);

    /// <summary><paramref name="deviceId"/> answered a call of the group at <paramref name="at"/>.</summary>
    Task AnsweredAsync(string stateKey, string deviceId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Logs <paramref name="member"/> out of (or back into) the callflow's ring group; true when that changed anything.</summary>
    Task<bool> SetLoggedOutAsync(string callflowId, string member, bool loggedOut, CancellationToken cancellationToken);

    /// <summary>Every callflow with members logged out, and those members.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> LoggedOutAsync(CancellationToken cancellationToken);
}

/// <summary>One ring group's memory, as <see cref="IRingGroupState.ReadAsync"/> reads it.</summary>
public sealed record GroupMemory(IReadOnlySet<string> LoggedOut, string? LastStarted, IReadOnlyDictionary<string, long> LastAnswered)
{
    public static readonly GroupMemory Empty = new(new HashSet<string>(), null, new Dictionary<string, long>());
}
