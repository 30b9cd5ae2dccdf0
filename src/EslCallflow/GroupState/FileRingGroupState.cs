using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace EslCallflow.GroupState;

/// <summary>
/// The single-node <see cref="IRingGroupState"/>: held in memory, written whole to <c>ring-groups.json</c> in the
/// state folder after each change (a temporary file renamed over the old one, so a crash leaves either the old or
/// the new file, never half of one), read back at start.
/// </summary>
public sealed partial class FileRingGroupState : IRingGroupState, IDisposable
{
    public const string FileName = "ring-groups.json";

    private readonly string _file;
    private readonly ILogger<FileRingGroupState> _logger;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly StateFile _state;
    private long _version;
    private long _written;

    public FileRingGroupState(string folder, ILogger<FileRingGroupState> logger)
    {
        _file = Path.Combine(folder, FileName);
        _logger = logger;
        _state = Load();
    }

    public Task<GroupMemory> ReadAsync(string? stateKey, string? callflowId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var loggedOut = callflowId is not null && _state.LoggedOut.TryGetValue(callflowId, out var members)
                ? members.ToHashSet(StringComparer.Ordinal)
                : [];
            if (stateKey is null || !_state.Groups.TryGetValue(stateKey, out var group))
            {
                return Task.FromResult(loggedOut.Count == 0 ? GroupMemory.Empty : GroupMemory.Empty with { LoggedOut = loggedOut });
            }
            return Task.FromResult(new GroupMemory(loggedOut, group.LastStarted, new Dictionary<string, long>(group.LastAnswered, StringComparer.Ordinal)));
        }
    }

    public Task StartedAsync(string stateKey, string deviceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            GroupOf(stateKey).LastStarted = deviceId;
            _version++;
        }
        return SaveAsync(cancellationToken);
    }

    public Task AnsweredAsync(string stateKey, string deviceId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            GroupOf(stateKey).LastAnswered[deviceId] = at.ToUnixTimeMilliseconds();
            _version++;
        }
        return SaveAsync(cancellationToken);
    }

    public async Task<bool> SetLoggedOutAsync(string callflowId, string member, bool loggedOut, CancellationToken cancellationToken)
    {
        bool changed;
        lock (_gate)
        {
            if (!_state.LoggedOut.TryGetValue(callflowId, out var members))
            {
                _state.LoggedOut[callflowId] = members = [];
            }
            changed = loggedOut ? !members.Contains(member) : members.Remove(member);
            if (changed && loggedOut)
            {
                members.Add(member);
                members.Sort(StringComparer.Ordinal);
            }
            if (members.Count == 0)
            {
                _state.LoggedOut.Remove(callflowId);
            }
            if (changed)
            {
                _version++;
            }
        }
        if (changed)
        {
            await SaveAsync(cancellationToken).ConfigureAwait(false);
        }
        return changed;
    }

    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> LoggedOutAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyDictionary<string, IReadOnlyList<string>> copy = _state.LoggedOut
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value], StringComparer.Ordinal);
            return Task.FromResult(copy);
        }
    }

    public void Dispose() => _writing.Dispose();

    private GroupRecord GroupOf(string stateKey)
    {
        if (!_state.Groups.TryGetValue(stateKey, out var group))
        {
            _state.Groups[stateKey] = group = new GroupRecord();
        }
        return group;
    }

    /// <summary>Writes the newest state unless a write that began after the change already wrote it.</summary>
    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string json;
            long version;
            lock (_gate)
            {
                if (_written == _version)
                {
                    return;
                }
                version = _version;
                json = JsonSerializer.Serialize(_state, StateJson.Default.StateFile);
            }
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
                var temporary = _file + ".tmp";
                await File.WriteAllTextAsync(temporary, json, cancellationToken).ConfigureAwait(false);
                File.Move(temporary, _file, overwrite: true);
                _written = version;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogWriteFailed(_logger, _file, ex.Message);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private StateFile Load()
    {
        try
        {
            if (File.Exists(_file))
            {
                return JsonSerializer.Deserialize(File.ReadAllText(_file), StateJson.Default.StateFile) ?? new StateFile();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            LogReadFailed(_logger, _file, ex.Message);
        }
        return new StateFile();
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "Ring group state not saved to {File} ({Reason}): a restart forgets the latest rotation and log-ins; set EslCallflow:StatePath to a writable folder")]
    private static partial void LogWriteFailed(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Ring group state in {File} not read ({Reason}): starting with none (every member logged in, rotations from the first)")]
    private static partial void LogReadFailed(ILogger logger, string file, string reason);
}

internal sealed class StateFile
{
    [JsonPropertyName("groups")]
    public Dictionary<string, GroupRecord> Groups { get; set; } = new(StringComparer.Ordinal);

    [JsonPropertyName("logged_out")]
    public Dictionary<string, List<string>> LoggedOut { get; set; } = new(StringComparer.Ordinal);
}

internal sealed class GroupRecord
{
    [JsonPropertyName("last_started")]
    public string? LastStarted { get; set; }

    [JsonPropertyName("last_answered")]
    public Dictionary<string, long> LastAnswered { get; set; } = new(StringComparer.Ordinal);
}

[JsonSerializable(typeof(StateFile))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class StateJson : JsonSerializerContext;
