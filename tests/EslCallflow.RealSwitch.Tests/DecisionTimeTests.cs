using System.Diagnostics;
using EslCallflow.RealSwitch.Tests.Switch;
using EslCallflow.Testing;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// The daemon's own decision on the dialplan fast path, reported (not asserted): fetches for a ring group's number
/// (7301) at a steady rate, each as mod_xml_curl posts it with freeswitch-conf's binding (the form modelled on a real
/// capture, <see cref="XmlCurlFetch"/>, only the <c>enable-post-var</c> fields, a new connection per fetch as libcurl's
/// handle per fetch makes in mod_xml_curl.c <c>xml_url_fetch</c>), and the daemon's own histogram of a fetch's arrival
/// to its answer written. The rate is more than the switch's calls on this machine could make, so the posts come from
/// the test, not from calls; each starts a call the daemon waits for, and the daemon is restarted after to drop them.
/// BENCHMARKS.md keeps the figures.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class DecisionTimeTests(RealSwitch fixture, ITestOutputHelper output)
{
    private const int Rate = 100;
    private const int WarmUp = 300;
    private static readonly TimeSpan Length = TimeSpan.FromSeconds(30);
    private const string Histogram = "eslcallflow_dialplan_fetch_seconds";

    [DialplanFact]
    public Task The_daemon_s_decision_at_100_fetches_a_second() => fixture.RunAsync(output, async s =>
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero });
        var url = new Uri($"http://127.0.0.1:{s.Switch.DaemonDialplanPort}/dialplan");
        try
        {
            await PostAtAsync(s, http, url, WarmUp);
            var before = await s.MetricsAsync();
            var roundTrips = await PostAtAsync(s, http, url, (int)(Rate * Length.TotalSeconds));
            var after = await s.MetricsAsync();

            var answered = after.Value(Histogram + "_count") - before.Value(Histogram + "_count");
            s.Report($"the daemon's decision for 7301 (a ring group of 1001), {answered:0} fetches at {Rate}/s after {WarmUp} warm-up fetches:");
            s.Report($"  fetch received to answer written (its /metrics histogram, bucket upper bounds): p50 <= {after.QuantileSince(before, Histogram, 0.5) * 1000} ms, p99 <= {after.QuantileSince(before, Histogram, 0.99) * 1000} ms, p99.9 <= {after.QuantileSince(before, Histogram, 0.999) * 1000} ms");
            s.Report($"  the poster's round trip, a new connection each (ms): {PostDialDelayTests.Summary(roundTrips)}");
            s.Report($"  load: {File.ReadAllText("/proc/loadavg").Trim()}");
            Assert.Equal(Rate * Length.TotalSeconds, answered);
        }
        finally
        {
            // Every fetch started a call no channel will end; a fresh daemon holds none of them.
            await s.Daemon.StopAsync();
            await s.Daemon.StartAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
    }, TimeSpan.FromMinutes(3));

    /// <summary><paramref name="count"/> fetches at <see cref="Rate"/> a second, each a new call; their round trips in ms.</summary>
    private static async Task<List<double>> PostAtAsync(Scene s, HttpClient http, Uri url, int count)
    {
        var posts = new List<Task<double>>(count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / Rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, s.Cancellation);
            }
            posts.Add(PostAsync(http, url, s.Cancellation));
        }
        var trips = await Task.WhenAll(posts);
        return [.. trips];
    }

    private static async Task<double> PostAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        var form = XmlCurlFetch.Form(
            new Dictionary<string, string>
            {
                ["Unique-ID"] = Guid.NewGuid().ToString(),
                ["Caller-Destination-Number"] = "7301",
                ["Caller-Context"] = "default",
            },
            new Dictionary<string, string>(),
            posted: XmlCurlFetch.ShippedPostVars);
        var started = Stopwatch.GetTimestamp();
        var response = await XmlCurlFetch.PostAsync(http, url, form, cancellationToken: cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (response.Status != 200 || !response.Body.Contains("application=\"bridge\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the fetch was not answered with the ring group's bridge: {response.Status} {response.Body}");
        }
        return elapsed;
    }
}
