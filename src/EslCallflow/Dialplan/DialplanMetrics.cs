using static EslCallflow.Metrics.PrometheusText;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using EslCallflow.Metrics;

namespace EslCallflow.Dialplan;

/// <summary>
/// The fetch endpoint's counters: fetches by result, and the time from a fetch's request line to its answer
/// written (the daemon's own decision time on this path), in the decision latency buckets.
/// </summary>
public sealed class DialplanMetrics
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _fetches = new(StringComparer.Ordinal);
    private readonly long[] _latencyCounts = new long[DaemonMetrics.LatencyBuckets.Length + 1];
    private long _latencyCount;
    private long _latencySumTicks;

    /// <summary>
    /// One fetch answered: <c>callflow</c>, <c>continued</c>, <c>not_found</c>, <c>socket</c> (not found: a module the outbound socket runs), <c>feed_down</c> (not found, so the
    /// socket path takes the call), <c>refused</c> (peer or credentials), <c>error</c>.
    /// </summary>
    public void Fetched(string result, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _fetches.GetOrAdd(result, _ => new StrongBox<long>()).Value);
        var seconds = elapsed.TotalSeconds;
        var bucket = 0;
        while (bucket < DaemonMetrics.LatencyBuckets.Length && seconds > DaemonMetrics.LatencyBuckets[bucket])
        {
            bucket++;
        }
        Interlocked.Increment(ref _latencyCounts[bucket]);
        Interlocked.Increment(ref _latencyCount);
        Interlocked.Add(ref _latencySumTicks, elapsed.Ticks);
    }

    public long Fetches(string result) => _fetches.TryGetValue(result, out var box) ? Interlocked.Read(ref box.Value) : 0;

    public void WritePrometheus(StringBuilder text, int callsInProgress)
    {
        Family(text, "eslcallflow_dialplan_fetches_total", "Dialplan fetches answered, by result (callflow, continued, not_found, socket, feed_down, refused, error).", "counter");
        foreach (var (result, box) in _fetches.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_dialplan_fetches_total", $"result=\"{result}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_dialplan_calls", "Calls run through the dialplan whose record is open.", "gauge");
        Sample(text, "eslcallflow_dialplan_calls", null, callsInProgress);
        Family(text, "eslcallflow_dialplan_fetch_seconds", "From a dialplan fetch's arrival to its answer written.", "histogram");
        long cumulative = 0;
        for (var i = 0; i < DaemonMetrics.LatencyBuckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _latencyCounts[i]);
            Sample(text, "eslcallflow_dialplan_fetch_seconds_bucket", $"le=\"{DaemonMetrics.LatencyBuckets[i].ToString(CultureInfo.InvariantCulture)}\"", cumulative);
        }
        var count = Interlocked.Read(ref _latencyCount);
        Sample(text, "eslcallflow_dialplan_fetch_seconds_bucket", "le=\"+Inf\"", count);
        text.Append("eslcallflow_dialplan_fetch_seconds_sum ")
            .Append(TimeSpan.FromTicks(Interlocked.Read(ref _latencySumTicks)).TotalSeconds.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Sample(text, "eslcallflow_dialplan_fetch_seconds_count", null, count);
    }
}
