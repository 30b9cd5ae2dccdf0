using EslCallflow.Callflows;
using EslCallflow.Callflows.Loading;
using EslCallflow.Operations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Hosting;

/// <summary>
/// The configuration new calls use. Loaded and validated at start (a bad one stops the daemon); reloaded on
/// request, where a bad one is refused and the last good one stays. A call keeps the instance it started with.
/// </summary>
public sealed partial class CallflowConfigurationStore
{
    private readonly Lock _reloading = new();
    private readonly DaemonMetrics _metrics;
    private readonly ILogger<CallflowConfigurationStore> _logger;
    private volatile PbxConfiguration _current;

    public CallflowConfigurationStore(IOptions<DaemonOptions> options, DaemonMetrics metrics, ILogger<CallflowConfigurationStore> logger)
    {
        _metrics = metrics;
        _logger = logger;
        var path = options.Value.ResolvedConfigurationPath;
        var result = ConfigurationLoader.LoadFolder(path);
        if (!result.IsValid)
        {
            throw new OptionsValidationException(DaemonOptions.Section, typeof(DaemonOptions),
                result.Errors.Select(e => $"callflow configuration {path}: {e}"));
        }
        _current = result.Configuration!;
        Path = path;
    }

    public string Path { get; }

    public PbxConfiguration Current => _current;

    /// <summary>Loads and validates the folder again; swaps it in only when valid. Returns the errors, if any.</summary>
    public IReadOnlyList<ConfigError> Reload(string trigger)
    {
        lock (_reloading)
        {
            var result = ConfigurationLoader.LoadFolder(Path);
            if (!result.IsValid)
            {
                _metrics.Reload("rejected");
                LogRejected(_logger, trigger, result.Errors.Count, Path);
                foreach (var error in result.Errors)
                {
                    LogReloadError(_logger, error.File, error.DocumentId ?? "-", error.Path, error.Reason);
                }
                return result.Errors;
            }
            _current = result.Configuration!;
            _metrics.Reload("applied");
            LogReloaded(_logger, trigger, Path, _current.Callflows.Count, _current.Devices.Count);
            return [];
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Configuration reloaded ({Trigger}) from {ConfigurationPath}: {Callflows} callflows, {Devices} devices; new calls use it")]
    private static partial void LogReloaded(ILogger logger, string trigger, string configurationPath, int callflows, int devices);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Configuration reload ({Trigger}) rejected: {ErrorCount} error(s) in {ConfigurationPath}; keeping the last good configuration")]
    private static partial void LogRejected(ILogger logger, string trigger, int errorCount, string configurationPath);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "Configuration error: {File}: document '{DocumentId}' {JsonPath}: {Reason}")]
    private static partial void LogReloadError(ILogger logger, string file, string documentId, string jsonPath, string reason);
}
