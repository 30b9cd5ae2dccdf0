using System.Globalization;

namespace EslCallflow.Load;

/// <summary>Command-line options: <c>--rate 100 --in-progress 1000 --events 5000 --duration 60 --warmup 15 --daemon path --daemon-log path --daemon-cpus 1 --daemon-nice -5 --tick-ms 1 --slow-hook-ms 200 --dialplan</c>.</summary>
/// <param name="Dialplan">Calls come as mod_xml_curl's dialplan fetches (the fast path) instead of outbound sockets.</param>
/// <param name="SlowHookMs">When set, the daemon gets a webhook for every call event whose receiver answers after this many ms.</param>
/// <param name="Tick">
/// What calls and events are paced on. A switch emits events as its channels change, not in lumps: at a 10 ms tick,
/// 50 events went out back to back on every tick, in the same instant as each new call.
/// </param>
internal sealed record LoadOptions(double Rate, int InProgress, int EventsPerSecond, TimeSpan Duration, TimeSpan Warmup, string DaemonPath, string DaemonLog, string? DaemonCpus, int? DaemonNice, TimeSpan Tick, int? SlowHookMs, bool Dialplan)
{
    /// <summary>How long each call stays bridged so that <see cref="InProgress"/> calls are up at <see cref="Rate"/>.</summary>
    public TimeSpan Hold => TimeSpan.FromSeconds(InProgress / Rate);

    public static LoadOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }
        double Number(string name, double fallback) => Value(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

        var root = FindRoot();
        return new LoadOptions(
            Number("--rate", 100),
            (int)Number("--in-progress", 1000),
            (int)Number("--events", 5000),
            TimeSpan.FromSeconds(Number("--duration", 60)),
            TimeSpan.FromSeconds(Number("--warmup", 15)),
            Value("--daemon") ?? Path.Combine(root, "src", "EslCallflow", "bin", "Release", "net10.0", "EslCallflow.dll"),
            Value("--daemon-log") ?? Path.Combine(Path.GetTempPath(), "eslcallflow-load-daemon.log"),
            Value("--daemon-cpus"),
            Value("--daemon-nice") is { } nice ? int.Parse(nice, CultureInfo.InvariantCulture) : null,
            TimeSpan.FromMilliseconds(Number("--tick-ms", 1)),
            Value("--slow-hook-ms") is { } slow ? int.Parse(slow, CultureInfo.InvariantCulture) : null,
            args.Contains("--dialplan"));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EslCallflow.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
