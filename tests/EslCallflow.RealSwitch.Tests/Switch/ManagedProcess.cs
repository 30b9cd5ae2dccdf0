using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>
/// A process the suite starts (FreeSWITCH, the daemon) in a session and process group of its own, its output
/// going straight to a file. It is stopped by its group, so nothing it started survives it, and three things
/// make sure none outlives the suite: Dispose, the test host's ProcessExit, and a watchdog shell that kills
/// the group once the test host is gone (even after a SIGKILL of the host). A pid file lets the next run
/// kill what a crashed run left behind.
/// </summary>
public sealed class ManagedProcess : IDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private static readonly object RegistryGate = new();
    private static readonly List<ManagedProcess> Running = [];
    private readonly Process _process;

    static ManagedProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (RegistryGate)
            {
                foreach (var process in Running)
                {
                    _ = NativeMethods.kill(-process.Id, SigKill);
                }
            }
        };
    }

    private ManagedProcess(string name, Process process, string outputFile)
    {
        Name = name;
        _process = process;
        OutputFile = outputFile;
    }

    public string Name { get; }

    /// <summary>The process id, which is also its session and process group id.</summary>
    public int Id => _process.Id;

    public string OutputFile { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Where the pids of running groups are kept between runs.</summary>
    public static string PidFile => Path.Combine(SuitePaths.Root, "processes");

    /// <summary>Kills the process groups a previous run recorded and that still run (same pid, same start time).</summary>
    public static IReadOnlyList<string> KillLeftovers()
    {
        var killed = new List<string>();
        if (!File.Exists(PidFile))
        {
            return killed;
        }
        foreach (var line in File.ReadAllLines(PidFile))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length == 3 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && StartTime(pid) == parts[1])
            {
                _ = NativeMethods.kill(-pid, SigKill);
                killed.Add($"{parts[2]} (pid {pid})");
            }
        }
        File.WriteAllText(PidFile, string.Empty);
        return killed;
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="arguments"/> in a new session, stdout and stderr appended to <paramref name="outputFile"/>.</summary>
    public static ManagedProcess Start(string name, string file, IEnumerable<string> arguments, string workingDirectory, string outputFile, IReadOnlyDictionary<string, string>? environment = null)
    {
        // setsid runs the shell as the leader of a new session and process group (same pid, it execs); the
        // shell redirects and execs the program, so the pid we hold is the program's and the group's.
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (var arg in (string[])["sh", "-c", "exec \"$0\" \"$@\" </dev/null >>\"$SUITE_OUTPUT_FILE\" 2>&1", file, .. arguments])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["SUITE_OUTPUT_FILE"] = outputFile;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var managed = new ManagedProcess(name, process, outputFile);
        lock (RegistryGate)
        {
            Running.Add(managed);
            WritePidFile();
        }
        StartWatchdog(process.Id);
        return managed;
    }

    /// <summary>SIGTERM, then SIGKILL to the whole group if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            _ = NativeMethods.kill(_process.Id, SigTerm);
            using var wait = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        Kill();
    }

    /// <summary>SIGKILL to the whole group, as a crash or an OOM kill would end it.</summary>
    public void Kill()
    {
        _ = NativeMethods.kill(-_process.Id, SigKill);
        _process.WaitForExit(10_000);
        lock (RegistryGate)
        {
            Running.Remove(this);
            WritePidFile();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static void WritePidFile() =>
        File.WriteAllLines(PidFile, Running.Select(p => $"{p.Id} {StartTime(p.Id)} {p.Name}"));

    /// <summary>Field 22 of /proc/pid/stat: distinguishes our process from a later one given the same pid.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// A shell in a session of its own that kills the group when the test host disappears (.NET has no
    /// parent-death signal). POSIX kill syntax (<c>kill -9 -pgid</c>, no <c>--</c>): dash, Debian's sh, refuses <c>--</c>.
    /// </summary>
    private static void StartWatchdog(int group)
    {
        var host = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var child = group.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var arg in (string[])["sh", "-c", $"while kill -0 {host} 2>/dev/null && kill -0 {child} 2>/dev/null; do sleep 1; done; kill -9 -{child} 2>/dev/null", ])
        {
            start.ArgumentList.Add(arg);
        }
        using var watchdog = Process.Start(start);
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // a one-line kill(2); no marshalling to generate
        public static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054
    }
}
