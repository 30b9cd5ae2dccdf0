using System.Runtime.InteropServices;
using EslCallflow.Hosting;
using Microsoft.Extensions.Hosting;

namespace EslCallflow.Operations;

/// <summary>
/// Hot reload: a change under the configuration folder (debounced, as editors write files in several steps)
/// or a SIGHUP reloads it; the HTTP endpoint's POST /reload calls the store directly.
/// </summary>
public sealed class ConfigurationReloader : IHostedService, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(400);
    private readonly CallflowConfigurationStore _store;
    private FileSystemWatcher? _watcher;
    private PosixSignalRegistration? _sighup;
    private Timer? _debounce;

    public ConfigurationReloader(CallflowConfigurationStore store)
    {
        _store = store;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _debounce = new Timer(_ => _store.Reload("file change"));
        _watcher = new FileSystemWatcher(_store.Path)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
        };
        _watcher.Changed += OnChange;
        _watcher.Created += OnChange;
        _watcher.Deleted += OnChange;
        _watcher.Renamed += OnChange;
        _watcher.EnableRaisingEvents = true;
        if (!OperatingSystem.IsWindows())
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // SIGHUP would end the process by default; here it means "reload", as systemctl reload sends it.
                context.Cancel = true;
                _store.Reload("SIGHUP");
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
        _watcher?.Dispose();
        _sighup?.Dispose();
        _debounce?.Dispose();
    }

    private void OnChange(object sender, FileSystemEventArgs e) => _debounce?.Change(Debounce, Timeout.InfiniteTimeSpan);
}
