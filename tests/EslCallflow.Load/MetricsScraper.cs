using System.Globalization;

namespace EslCallflow.Load;

/// <param name="FetchLatency">The dialplan path's decision histogram (fetch received to answer written).</param>
internal sealed record MetricsSample(double ActiveCalls, double TrackedChannels, double Heap, double Rss, double EventsReceived, double LiveAtFullGc, IReadOnlyList<(double Le, double Count)> Latency, double Gen0, double Gen1, double Gen2, double PauseMicros, double Allocated, IReadOnlyList<(double Le, double Count)> FetchLatency);

/// <summary>Reads the daemon's own /metrics: what it says about itself is what an operator would see.</summary>
internal sealed class MetricsScraper(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            try
            {
                using var response = await _client.GetAsync(new Uri("/healthz", UriKind.Relative), cts.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200, cts.Token);
        }
    }

    /// <summary>The bucket bound under which <paramref name="quantile"/> of the daemon's own decision times fall.</summary>
    public static double QuantileBound(IReadOnlyList<(double Le, double Count)> buckets, double quantile)
    {
        var total = buckets.Count == 0 ? 0 : buckets[^1].Count;
        return buckets.FirstOrDefault(b => b.Count >= quantile * total).Le;
    }

    /// <summary>The histogram of what happened between two scrapes (cumulative buckets, subtracted).</summary>
    public static IReadOnlyList<(double Le, double Count)> Since(IReadOnlyList<(double Le, double Count)> now, IReadOnlyList<(double Le, double Count)> before) =>
        [.. now.Select((b, i) => (b.Le, b.Count - (i < before.Count ? before[i].Count : 0)))];

    /// <summary>The share of the daemon's decisions slower than <paramref name="seconds"/> (a bucket bound).</summary>
    public static double FractionAbove(IReadOnlyList<(double Le, double Count)> buckets, double seconds)
    {
        var total = buckets.Count == 0 ? 0 : buckets[^1].Count;
        var within = buckets.FirstOrDefault(b => Math.Abs(b.Le - seconds) < 1e-9).Count;
        return total == 0 ? 0 : (total - within) / total;
    }

    public async Task<MetricsSample> ScrapeAsync()
    {
        var lines = (await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n');
        double Gauge(string name) => lines.Where(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault();
        // Calls in progress either way in: outbound sessions, and calls run through the dialplan.
        return new MetricsSample(Gauge("eslcallflow_active_calls") + Gauge("eslcallflow_dialplan_calls"), Gauge("eslcallflow_tracked_channels"), Gauge("dotnet_gc_heap_size_bytes"),
            Gauge("process_resident_memory_bytes"), Gauge("eslcallflow_esl_events_received_total"), Gauge("dotnet_gc_live_bytes_at_last_full_gc"),
            Histogram(lines, "eslcallflow_decision_latency_seconds_bucket"),
            Gauge("dotnet_gc_gen0_collections_total"), Gauge("dotnet_gc_gen1_collections_total"), Gauge("dotnet_gc_gen2_collections_total"),
            Gauge("dotnet_gc_pause_microseconds_total"), Gauge("dotnet_allocated_bytes_total"),
            Histogram(lines, "eslcallflow_dialplan_fetch_seconds_bucket"));
    }

    private static List<(double Le, double Count)> Histogram(string[] lines, string bucket) =>
        [.. lines.Where(l => l.StartsWith(bucket + "{le=\"", StringComparison.Ordinal))
            .Select(l => (Le: l[(l.IndexOf('"', StringComparison.Ordinal) + 1)..l.LastIndexOf('"')], Count: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
            .Select(b => (b.Le == "+Inf" ? double.PositiveInfinity : double.Parse(b.Le, CultureInfo.InvariantCulture), b.Count))];

    public void Dispose() => _client.Dispose();
}
