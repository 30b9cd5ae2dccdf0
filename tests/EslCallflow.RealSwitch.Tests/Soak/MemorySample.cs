using System.Globalization;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// The daemon's memory at one point of the run, right after a full collection induced from outside
/// (<see cref="DaemonGc"/>): the managed heap is then what is alive (<c>dotnet_gc_live_bytes_at_last_full_gc</c> on its
/// /metrics), not that plus whatever garbage the last collections left, which at a few MB of heap would swing more
/// than the 10% the check allows. RSS is read from /proc/pid/status (what the kernel charges it): the median of five
/// reads a second apart. The heap after the last collection of the daemon's own choosing is reported beside them.
/// </summary>
public sealed record MemorySample(TimeSpan At, int Pid, double RssBytes, double HeapBytes, double HeapAfterLastGcBytes, double PromotedBytes, double Gen2Collections)
{
    private const int Reads = 5;

    public static async Task<MemorySample> TakeAsync(DaemonInstance daemon, TimeSpan at, CancellationToken cancellationToken)
    {
        var pid = daemon.ProcessId ?? throw new InvalidOperationException("the daemon is not running");
        var before = await daemon.MetricsAsync(cancellationToken);
        // Twice: the first session ever also enables the runtime's managed EventSource (NativeRuntimeEventSource,
        // "Microsoft-Windows-DotNETRuntime"), which builds its event metadata by reflection then and keeps it for the
        // process's life (gcdumps of a daemon under the load harness at 2, 6 and 11 minutes: +0.2 MB of
        // RuntimeParameterInfo, RuntimeMethodInfo and EventSource metadata between the first two, flat after). Counted
        // once in the first sample and not in the next, it read as a tenth of a 3 MB heap "growing".
        await DaemonGc.CollectAsync(pid, cancellationToken);
        await DaemonGc.CollectAsync(pid, cancellationToken);
        var after = await daemon.MetricsAsync(cancellationToken);
        if (after.Value("dotnet_gc_gen2_collections_total") <= before.Value("dotnet_gc_gen2_collections_total"))
        {
            throw new InvalidOperationException("the induced full collection did not happen (gen2 count unchanged)");
        }
        var rss = new List<double>();
        for (var i = 0; i < Reads; i++)
        {
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            rss.Add(ResidentBytes(pid));
        }
        return new MemorySample(at, pid, Median(rss), after.Value("dotnet_gc_live_bytes_at_last_full_gc"), before.Value("dotnet_gc_heap_size_bytes"), after.Value("dotnet_gc_promoted_bytes_at_last_full_gc"), after.Value("dotnet_gc_gen2_collections_total"));
    }

    /// <summary>VmRSS of /proc/<paramref name="pid"/>/status, in bytes.</summary>
    public static double ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line["VmRSS:".Length..].Replace("kB", string.Empty, StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) * 1024;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    public static string Mb(double bytes) => (bytes / 1024 / 1024).ToString("F1", CultureInfo.InvariantCulture);

    public override string ToString() =>
        $"at {At.TotalMinutes:F1} min (pid {Pid}): RSS {Mb(RssBytes)} MB, live managed heap {Mb(HeapBytes)} MB (after an induced full GC, which kept {Mb(PromotedBytes)} MB of objects; before it, heap after the daemon's last GC {Mb(HeapAfterLastGcBytes)} MB; {Gen2Collections:F0} gen2 collections)";
}
