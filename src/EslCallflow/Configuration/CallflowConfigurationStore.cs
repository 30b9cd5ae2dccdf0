using System.Globalization;
using EslCallflow.Callflows;
using EslCallflow.Callflows.Loading;
using EslCallflow.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Configuration;

/// <summary>
/// The configuration new calls use. Loaded and validated at start (a bad one, or one without callflows, stops
/// the daemon); reloaded on request, where a bad one is refused and the last good one stays, and so is one
/// that would drop more callflows at once than <see cref="DaemonOptions.ReloadMaxDropShare"/> allows, unless
/// forced. A reload never throws. A call keeps the instance it started with.
/// </summary>
public sealed partial class CallflowConfigurationStore
{
    private readonly DaemonMetrics _metrics;
    private readonly ILogger<CallflowConfigurationStore> _logger;
    private readonly double _maxDropShare;
    private readonly ReloadQueue _queue;
    private volatile PbxConfiguration _current;

    public CallflowConfigurationStore(IOptions<DaemonOptions> options, DaemonMetrics metrics, TimeProvider time, ILogger<CallflowConfigurationStore> logger)
    {
        _metrics = metrics;
        _logger = logger;
        _maxDropShare = options.Value.ReloadMaxDropShare;
        var path = options.Value.ResolvedConfigurationPath;
        var result = ConfigurationLoader.LoadFolder(path);
        LogIgnoredEntries(result, path);
        if (!result.IsValid)
        {
            throw new OptionsValidationException(DaemonOptions.Section, typeof(DaemonOptions),
                result.Errors.Select(e => $"callflow configuration {path}: {e}"));
        }
        if (result.Configuration!.Callflows.Count == 0)
        {
            throw new OptionsValidationException(DaemonOptions.Section, typeof(DaemonOptions),
                [$"callflow configuration {path}: no callflows (callflows/*.json); every call would be refused as UNALLOCATED_NUMBER, so the daemon does not start with it"]);
        }
        _current = result.Configuration;
        Path = path;
        _queue = new ReloadQueue(ReloadNow, time, options.Value.ReloadMinInterval);
    }

    public string Path { get; }

    public PbxConfiguration Current => _current;

    /// <summary>A reload swapped a new configuration in (raised on the reload's thread, after <see cref="Current"/> changed).</summary>
    public event Action<PbxConfiguration>? Applied;

    /// <summary>How many reloads have run (requests coalesced into one count once).</summary>
    public int ReloadsRun => _queue.Runs;

    /// <summary>
    /// Loads and validates the folder again (coalesced with other requests, see <see cref="ReloadQueue"/>) and
    /// swaps it in when valid and not refused. The wait can be abandoned; the reload itself still completes.
    /// </summary>
    public Task<ReloadOutcome> ReloadAsync(string trigger, bool force = false, CancellationToken cancellationToken = default) =>
        _queue.Enqueue(trigger, force).WaitAsync(cancellationToken);

    /// <summary>Fire and forget, for the watcher and SIGHUP: the outcome is logged.</summary>
    public void RequestReload(string trigger) => _ = _queue.Enqueue(trigger, force: false);

    private ReloadOutcome ReloadNow(ReloadRequest request)
    {
        try
        {
            var result = ConfigurationLoader.LoadFolder(Path);
            LogIgnoredEntries(result, Path);
            if (!result.IsValid)
            {
                _metrics.Reload("rejected");
                LogRejected(_logger, request.Trigger, result.Errors.Count, Path);
                foreach (var error in result.Errors)
                {
                    LogReloadError(_logger, error.File, error.DocumentId ?? "-", error.Path, error.Reason);
                }
                return ReloadOutcome.Invalid(result.Errors);
            }
            var next = result.Configuration!;
            if (DropRefusal(_current, next) is { } refusal)
            {
                if (!request.Force)
                {
                    _metrics.Reload("refused");
                    LogRefused(_logger, request.Trigger, Path, refusal);
                    return ReloadOutcome.Refused(refusal, next.Callflows.Count);
                }
                LogForced(_logger, request.Trigger, refusal);
            }
            _current = next;
            Applied?.Invoke(next);
            _metrics.Reload("applied");
            LogReloaded(_logger, request.Trigger, request.Requests, Path, next.Callflows.Count, next.Devices.Count);
            return ReloadOutcome.Applied(next.Callflows.Count);
        }
        catch (Exception ex)
        {
            // Loading reports failures as errors; this is the last guard that keeps a reload from ending the process.
            _metrics.Reload("rejected");
            LogReloadFailed(_logger, ex, request.Trigger, Path, ex.Message);
            return ReloadOutcome.Invalid([new ConfigError(Path, null, "", $"reload failed: {ex.Message}")]);
        }
    }

    /// <summary>Why swapping <paramref name="next"/> in would drop too many of the callflows in use, or null.</summary>
    private string? DropRefusal(PbxConfiguration current, PbxConfiguration next)
    {
        var dropped = current.Callflows.Keys.Where(id => !next.Callflows.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        if (dropped.Count == 0)
        {
            return null;
        }
        var share = (double)dropped.Count / current.Callflows.Count;
        if (dropped.Count < current.Callflows.Count && share <= _maxDropShare)
        {
            return null;
        }
        var names = string.Join(", ", dropped.Take(5)) + (dropped.Count > 5 ? ", …" : "");
        var why = dropped.Count == current.Callflows.Count
            ? $"it would drop every callflow ({dropped.Count}: {names})"
            : string.Create(CultureInfo.InvariantCulture, $"it would drop {dropped.Count} of {current.Callflows.Count} callflows ({share * 100:0.#}%, more than ReloadMaxDropShare {_maxDropShare * 100:0.#}%: {names})");
        return $"{why}; calls to them would be refused as UNALLOCATED_NUMBER. If that is intended, force it with POST /reload?force=true";
    }

    private void LogIgnoredEntries(LoadResult result, string path)
    {
        foreach (var entry in result.Ignored)
        {
            LogIgnored(_logger, path, entry);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Configuration reloaded ({Trigger}; {Requests} request(s)) from {ConfigurationPath}: {Callflows} callflows, {Devices} devices; new calls use it")]
    private static partial void LogReloaded(ILogger logger, string trigger, int requests, string configurationPath, int callflows, int devices);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Configuration reload ({Trigger}) rejected: {ErrorCount} error(s) in {ConfigurationPath}; keeping the last good configuration")]
    private static partial void LogRejected(ILogger logger, string trigger, int errorCount, string configurationPath);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Configuration error: {File}: document '{DocumentId}' {JsonPath}: {Reason}")]
    private static partial void LogReloadError(ILogger logger, string file, string documentId, string jsonPath, string reason);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Error, Message = "Configuration reload ({Trigger}) refused: {ConfigurationPath} is valid, but {Refusal}; keeping the last good configuration")]
    private static partial void LogRefused(ILogger logger, string trigger, string configurationPath, string refusal);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Configuration reload ({Trigger}) forced although {Refusal}")]
    private static partial void LogForced(ILogger logger, string trigger, string refusal);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Configuration folder {ConfigurationPath}: ignored {Entry}")]
    private static partial void LogIgnored(ILogger logger, string configurationPath, string entry);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Error, Message = "Configuration reload ({Trigger}) of {ConfigurationPath} failed: {Reason}; keeping the last good configuration")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, string trigger, string configurationPath, string reason);
}
