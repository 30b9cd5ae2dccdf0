using System.Diagnostics;

namespace EslCallflow.Load;

/// <summary>The daemon under test, as its own process (its memory is then its own), on the bundled configuration.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;

    private DaemonProcess(Process process) => _process = process;

    public bool IsRunning => !_process.HasExited;

    /// <param name="cpus">When set (a taskset CPU list like "1"), the daemon is pinned there, so the harness's own work does not share its core.</param>
    /// <param name="nice">When set, the daemon runs at this nice value, as the systemd unit's <c>Nice=</c> does (below 0 needs root).</param>
    public static DaemonProcess Start(string daemonDll, int eslPort, string password, int callPort, int httpPort, string logPath, string? cpus, int? nice, IReadOnlyList<string> extraArgs)
    {
        if (!File.Exists(daemonDll))
        {
            throw new FileNotFoundException($"daemon not built: {daemonDll} (run: dotnet build -c Release src/EslCallflow)", daemonDll);
        }
        string[] launcher =
        [
            .. nice is null ? Array.Empty<string>() : ["nice", "-n", nice.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            .. cpus is null ? Array.Empty<string>() : ["taskset", "-c", cpus],
            "dotnet",
        ];
        var start = new ProcessStartInfo(launcher[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(daemonDll)! };
        foreach (var arg in launcher.Skip(1).Concat(
        [
            daemonDll,
            $"--Esl:Inbound:Port={eslPort}", $"--Esl:Outbound:Port={callPort}", $"--Http:Url=http://127.0.0.1:{httpPort}",
            "--Logging:MinimumLevel=Warning", "--Logging:Format=json", "--EslCallflow:DrainTimeout=00:00:05",
            // A fresh spool each run: nothing left from an earlier run is delivered during this one.
            $"--EslCallflow:StatePath={Directory.CreateTempSubdirectory("eslcallflow-load-state").FullName}",
            .. extraArgs,
        ]))
        {
            start.ArgumentList.Add(arg);
        }
        // The password goes through the environment, as in production, never the command line.
        start.Environment["ESLCALLFLOW_Esl__Inbound__Password"] = password;
        start.Environment["DOTNET_gcServer"] = "0";
        // ESLCALLFLOW_LOAD_DAEMON_ENV="NAME=value;NAME2=value2" passes runtime settings to the daemon only (GC experiments).
        foreach (var pair in (Environment.GetEnvironmentVariable("ESLCALLFLOW_LOAD_DAEMON_ENV") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            start.Environment[parts[0]] = parts.Length > 1 ? parts[1] : string.Empty;
        }
        var process = Process.Start(start)!;
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new DaemonProcess(process);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
