using System.Globalization;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// The daemon's memory at one point of the run: resident set from /proc/pid/status (what the kernel charges it) and
/// the managed heap from its /metrics (<c>dotnet_gc_heap_size_bytes</c>, the heap after the last collection, and
/// <c>dotnet_gc_live_bytes_at_last_full_gc</c>). Each is the median of five reads a second apart, so one collection
/// landing just before a read does not decide the figure.
/// </summary>
public sealed record MemorySample(TimeSpan At, int Pid, double RssBytes, double HeapBytes, double LiveAtFullGcBytes, double Gen2Collections)
{
    private const int Reads = 5;

    public static async Task<MemorySample> TakeAsync(DaemonInstance daemon, TimeSpan at, CancellationToken cancellationToken)
    {
        var pid = daemon.ProcessId ?? throw new InvalidOperationException("the daemon is not running");
        var rss = new List<double>();
        var heap = new List<double>();
        PrometheusText? last = null;
        for (var i = 0; i < Reads; i++)
        {
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            rss.Add(ResidentBytes(pid));
            last = await daemon.MetricsAsync(cancellationToken);
            heap.Add(last.Value("dotnet_gc_heap_size_bytes"));
        }
        return new MemorySample(at, pid, Median(rss), Median(heap), last!.Value("dotnet_gc_live_bytes_at_last_full_gc"), last.Value("dotnet_gc_gen2_collections_total"));
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
        $"at {At.TotalMinutes:F1} min (pid {Pid}): RSS {Mb(RssBytes)} MB, managed heap {Mb(HeapBytes)} MB (live after the last full GC {Mb(LiveAtFullGcBytes)} MB, {Gen2Collections:F0} gen2 collections)";
}
