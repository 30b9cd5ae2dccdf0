using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Configuration;

/// <summary>
/// Hot reload: a change under the configuration folder (debounced, as editors write files in several steps)
/// or a SIGHUP asks the store for a reload; the HTTP endpoint's POST /reload asks it directly. The store
/// coalesces the requests and never throws, so nothing here can end the process.
/// <para>
/// Deploy tools replace the folder (<c>rm -rf</c> then <c>cp -r</c>, a renamed-in copy, a switched symlink).
/// A watch follows the folder it was set on, so when that one goes, it goes quiet; a second watch on the
/// parent sees the folder's name come back and sets the first one again on the new folder.
/// </para>
/// </summary>
public sealed partial class ConfigurationReloader : IHostedService, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(400);
    private readonly CallflowConfigurationStore _store;
    private readonly ILogger<ConfigurationReloader> _logger;
    private readonly Lock _gate = new();
    private FileSystemWatcher? _folderWatcher;
    private FileSystemWatcher? _parentWatcher;
    private PosixSignalRegistration? _sighup;
    private Timer? _debounce;
    private string _debouncedTrigger = "file change";
    private bool _stopped;

    public ConfigurationReloader(CallflowConfigurationStore store, ILogger<ConfigurationReloader> logger)
    {
        _store = store;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _debounce = new Timer(_ => _store.RequestReload(Volatile.Read(ref _debouncedTrigger)));
        WatchFolder();
        WatchParent();
        if (!OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // SIGHUP would end the process by default; here it means "reload", as systemctl reload sends it.
                context.Cancel = true;
                _store.RequestReload("SIGHUP");
            });
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _folderWatcher?.Dispose();
            _parentWatcher?.Dispose();
        }
        _sighup?.Dispose();
        _debounce?.Dispose();
    }

    /// <summary>(Re)sets the watch inside the folder; with no folder there is nothing to watch until it returns.</summary>
    private void WatchFolder()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            _folderWatcher?.Dispose();
            _folderWatcher = null;
            if (!Directory.Exists(_store.Path))
            {
                LogFolderGone(_logger, _store.Path);
                return;
            }
            try
            {
                var watcher = new FileSystemWatcher(_store.Path)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
                };
                watcher.Changed += OnChange;
                watcher.Created += OnChange;
                watcher.Deleted += OnChange;
                watcher.Renamed += OnChange;
                watcher.Error += OnFolderWatchError;
                watcher.EnableRaisingEvents = true;
                _folderWatcher = watcher;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                // Gone again between the check and the watch, or out of inotify watches: the parent watch or SIGHUP still reload.
                LogWatchFailed(_logger, _store.Path, ex.Message);
            }
        }
    }

    private void WatchParent()
    {
        var full = Path.GetFullPath(_store.Path).TrimEnd(Path.DirectorySeparatorChar);
        if (Path.GetDirectoryName(full) is not { } parent || !Directory.Exists(parent))
        {
            return;
        }
        try
        {
            var watcher = new FileSystemWatcher(parent, Path.GetFileName(full))
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.DirectoryName | NotifyFilters.FileName,
            };
            watcher.Created += OnFolderReplaced;
            watcher.Deleted += OnFolderReplaced;
            watcher.Renamed += OnFolderReplaced;
            watcher.Error += OnFolderWatchError;
            watcher.EnableRaisingEvents = true;
            lock (_gate)
            {
                _parentWatcher = watcher;
            }
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            LogWatchFailed(_logger, parent, ex.Message);
        }
    }

    private void OnChange(object sender, FileSystemEventArgs e) => ScheduleReload("file change");

    private void OnFolderReplaced(object sender, FileSystemEventArgs e)
    {
        LogFolderReplaced(_logger, _store.Path, e.ChangeType.ToString());
        WatchFolder();
        ScheduleReload("configuration folder replaced");
    }

    /// <summary>The watch lost events (its queue overflowed, say): set it again and reload to catch up.</summary>
    private void OnFolderWatchError(object sender, ErrorEventArgs e)
    {
        LogWatchFailed(_logger, _store.Path, e.GetException().Message);
        WatchFolder();
        ScheduleReload("file watch error");
    }

    private void ScheduleReload(string trigger)
    {
        Volatile.Write(ref _debouncedTrigger, trigger);
        try
        {
            _debounce?.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Configuration folder {ConfigurationPath} is gone; watching for it to come back (the last good configuration stays)")]
    private static partial void LogFolderGone(ILogger logger, string configurationPath);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Configuration folder {ConfigurationPath} was replaced ({Change}); watching the new one")]
    private static partial void LogFolderReplaced(ILogger logger, string configurationPath, string change);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Watching {WatchedPath} for configuration changes failed: {Reason}; SIGHUP and POST /reload still reload")]
    private static partial void LogWatchFailed(ILogger logger, string watchedPath, string reason);
}
