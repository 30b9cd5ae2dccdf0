using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>
/// The daemon as a user runs it: the Release build of src/EslCallflow (published once per test run),
/// started with <c>dotnet EslCallflow.dll</c> on the bundled configuration plus the suite's documents,
/// settings passed as ESLCALLFLOW_ environment variables, its console log written to a file.
/// </summary>
public sealed class DaemonInstance : IAsyncDisposable
{
    private const string SettingPrefix = "ESLCALLFLOW_SUITE_DAEMON_";
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static string? s_built;
    private readonly FreeSwitchInstance _switch;
    private readonly string _folder;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private ManagedProcess? _process;

    /// <param name="name">Its folder in the run (several daemons share one run).</param>
    /// <param name="settings">More settings, as ESLCALLFLOW_ variables (a cluster node's Cluster section).</param>
    public DaemonInstance(string runFolder, FreeSwitchInstance freeSwitch, string name = "daemon", IReadOnlyDictionary<string, string>? settings = null)
    {
        _settings = settings ?? new Dictionary<string, string>();
        _switch = freeSwitch;
        _folder = Path.Combine(runFolder, name);
        ConfigurationFolder = Path.Combine(_folder, "config");
        SuitePaths.CopyFolder(Path.Combine(SuitePaths.Repository, "src", "EslCallflow", "config"), ConfigurationFolder);
        SuitePaths.CopyFolder(Path.Combine(AppContext.BaseDirectory, "documents"), ConfigurationFolder);
        HttpPort = FreePorts.Next();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(10) };
        Log = new LogFile(Path.Combine(_folder, "daemon.log"));
    }

    public string ConfigurationFolder { get; }

    /// <summary>The daemon's EslCallflow:StatePath (the call event spool lives in its spool/ folder).</summary>
    public string StatePath => Path.Combine(_folder, "state");
    public int HttpPort { get; }
    public HttpClient Http { get; }

    /// <summary>The daemon's console log (text format, Debug level), every start appended.</summary>
    public LogFile Log { get; }

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    /// <summary><c>dotnet publish src/EslCallflow -c Release</c> into the suite's folder, once per test run.</summary>
    public static async Task<string> BuildAsync(CancellationToken cancellationToken)
    {
        await BuildGate.WaitAsync(cancellationToken);
        try
        {
            if (s_built is not null)
            {
                return s_built;
            }
            var output = Path.Combine(SuitePaths.Root, "daemon-build");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = SuitePaths.Repository };
            foreach (var arg in (string[])["publish", Path.Combine("src", "EslCallflow"), "-c", "Release", "-o", output, "-nologo", "-v", "quiet", "-nodeReuse:false"])
            {
                start.ArgumentList.Add(arg);
            }
            // The test host's MSBuild variables would point the child build at the test's own build.
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(key);
            }
            using var build = Process.Start(start)!;
            var stdout = build.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = build.StandardError.ReadToEndAsync(cancellationToken);
            await build.WaitForExitAsync(cancellationToken);
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException($"dotnet publish src/EslCallflow failed ({build.ExitCode}):\n{await stdout}\n{await stderr}");
            }
            s_built = Path.Combine(output, "EslCallflow.dll");
            return s_built;
        }
        finally
        {
            BuildGate.Release();
        }
    }

    /// <summary>Starts the daemon and waits for /healthz 200 (channel feed up, call listener accepting).</summary>
    /// <param name="inboundPort">Where the daemon's inbound connection goes; the switch's event socket unless a test puts something between them.</param>
    /// <param name="settings">Settings of a test's own (configuration keys such as <c>CallRecords:Webhooks:0:Url</c>), passed as ESLCALLFLOW_ variables.</param>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken, int? inboundPort = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = await BuildAsync(cancellationToken);
        var environment = new Dictionary<string, string>
        {
            ["ESLCALLFLOW_EslCallflow__ConfigurationPath"] = ConfigurationFolder,
            ["ESLCALLFLOW_EslCallflow__DrainTimeout"] = "00:00:02",
            // The call event spool belongs to this run, not to the shared published build.
            ["ESLCALLFLOW_EslCallflow__StatePath"] = StatePath,
            ["ESLCALLFLOW_Esl__Inbound__Host"] = "127.0.0.1",
            ["ESLCALLFLOW_Esl__Inbound__Port"] = (inboundPort ?? _switch.EslPort).ToString(CultureInfo.InvariantCulture),
            ["ESLCALLFLOW_Esl__Inbound__Password"] = _switch.EslPassword,
            ["ESLCALLFLOW_Esl__Outbound__Address"] = "127.0.0.1",
            ["ESLCALLFLOW_Esl__Outbound__Port"] = _switch.DaemonCallPort.ToString(CultureInfo.InvariantCulture),
            ["ESLCALLFLOW_Http__Url"] = Http.BaseAddress!.ToString().TrimEnd('/'),
            ["ESLCALLFLOW_Dialplan__Enabled"] = SuiteTransport.IsDialplan ? "true" : "false",
            ["ESLCALLFLOW_Dialplan__Url"] = $"http://127.0.0.1:{_switch.DaemonDialplanPort.ToString(CultureInfo.InvariantCulture)}",
            ["ESLCALLFLOW_Logging__Format"] = "text",
            ["ESLCALLFLOW_Logging__MinimumLevel"] = "Debug",
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var (name, value) in _settings)
        {
            environment[name] = value;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment["ESLCALLFLOW_" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        // ESLCALLFLOW_SUITE_DAEMON_<setting>=value sets one more of the daemon's settings for a run (a figure with
        // CallRecords__FreeSwitchEvents=false, say): passed on as ESLCALLFLOW_<setting>.
        foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value ?? "")).Where(e => e.Item1.StartsWith(SettingPrefix, StringComparison.Ordinal)))
        {
            environment["ESLCALLFLOW_" + key[SettingPrefix.Length..]] = value;
        }
        File.AppendAllText(Log.Path, $"===== suite: daemon started {DateTime.Now:HH:mm:ss.fff} =====\n");
        _process = ManagedProcess.Start("eslcallflow", "dotnet", [dll], Path.GetDirectoryName(dll)!, Log.Path, environment);
        await WaitForHealthAsync(HttpStatusCode.OK, timeout, cancellationToken);
    }

    /// <summary>Polls /healthz until it answers <paramref name="status"/> (503 while the feed is down).</summary>
    public async Task WaitForHealthAsync(HttpStatusCode status, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"the daemon exited.\n{Log.Tail(0, 60)}");
            }
            var (code, body) = await HealthAsync(cancellationToken);
            if (code == status)
            {
                return;
            }
            last = $"{(int?)code} {body}";
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException($"/healthz did not answer {(int)status} within {timeout.TotalSeconds} s (last: {last}).\n{Log.Tail(0, 60)}");
    }

    /// <summary>GET /healthz: the status code (null when nothing answers) and body.</summary>
    public async Task<(HttpStatusCode? Status, string Body)> HealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync("/healthz", cancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, "timed out");
        }
    }

    public async Task<PrometheusText> MetricsAsync(CancellationToken cancellationToken) =>
        new(await Http.GetStringAsync("/metrics", cancellationToken));

    /// <summary>
    /// Replaces one document file for the length of a test (written whole, then POST /reload, which must
    /// accept it); disposing puts the original back and reloads again.
    /// </summary>
    public async Task<IAsyncDisposable> OverrideDocumentAsync(string relativePath, string json, CancellationToken cancellationToken)
    {
        var path = Path.Combine(ConfigurationFolder, relativePath);
        var original = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken) : null;
        await WriteAndReloadAsync(path, json, cancellationToken);
        return new Restore(async () =>
        {
            if (original is null)
            {
                File.Delete(path);
                await ReloadAsync(CancellationToken.None);
            }
            else
            {
                await WriteAndReloadAsync(path, original, CancellationToken.None);
            }
        });
    }

    private async Task WriteAndReloadAsync(string path, string json, CancellationToken cancellationToken)
    {
        // Written beside the folder and moved in: the daemon's file watcher never sees half a file.
        var staging = Path.Combine(_folder, Path.GetFileName(path) + ".staging");
        await File.WriteAllTextAsync(staging, json, cancellationToken);
        File.Move(staging, path, overwrite: true);
        await ReloadAsync(cancellationToken);
    }

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsync("/reload", null, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /reload refused the documents: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>SIGKILL: the daemon dies as in a crash, with no chance to close anything.</summary>
    public void Kill()
    {
        _process?.Kill();
        _process?.Dispose();
        _process = null;
    }

    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync(TimeSpan.FromSeconds(5));
            _process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }
}
