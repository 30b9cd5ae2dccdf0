using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EslCallflow.Load;
using EslCallflow.Testing;

// Load harness (issue "Benchmarks and load"). Drives the real daemon, started as a child process, with a fake
// switch: outbound sessions at --rate calls/s into the bundled 7000 ring group, each bridge answered and held
// so that --in-progress calls are up at once, while --events CHANNEL_* events/s go down the inbound link.
// With --dialplan the calls come as mod_xml_curl's dialplan fetches instead (the fast path), their channel events on
// the inbound link. Exits 1 on any error or dropped call.
var options = LoadOptions.Parse(args);
Console.WriteLine($"load{(options.Dialplan ? " (dialplan fetches)" : "")}: {options.Rate} calls/s, {options.InProgress} in progress (hold {options.Hold.TotalSeconds:0.#} s), {options.EventsPerSecond} events/s (paced every {options.Tick.TotalMilliseconds:0.#} ms), {options.Duration.TotalSeconds:0} s (+{options.Warmup.TotalSeconds:0} s warm-up)");

await using var freeSwitch = new FakeFreeSwitch("load-secret").Start();
var callPort = FreePort();
var httpPort = FreePort();
using var slowHook = options.SlowHookMs is { } slowMs ? new SlowHook(FreePort(), TimeSpan.FromMilliseconds(slowMs)) : null;
if (slowHook is not null)
{
    Console.WriteLine($"slow hook: every call event POSTed to {slowHook.Url}, answered after {options.SlowHookMs} ms");
}
var dialplanPort = FreePort();
var dialplanUrl = new Uri($"http://127.0.0.1:{dialplanPort}/dialplan");
using var daemon = DaemonProcess.Start(options.DaemonPath, freeSwitch.Port, "load-secret", callPort, httpPort, options.DaemonLog, options.DaemonCpus, options.DaemonNice,
    [.. slowHook?.DaemonArgs ?? [], "--Dialplan:Enabled=true", $"--Dialplan:Url=http://127.0.0.1:{dialplanPort}"]);
using var metrics = new MetricsScraper(new Uri($"http://127.0.0.1:{httpPort}"));
await metrics.WaitHealthyAsync(TimeSpan.FromSeconds(30));
await Task.Delay(TimeSpan.FromSeconds(2));
var idle = await metrics.ScrapeAsync();
Console.WriteLine($"idle: heap {Mb(idle.Heap)}, RSS {Mb(idle.Rss)}");

var endpoint = new IPEndPoint(IPAddress.Loopback, callPort);
var latencies = new ConcurrentBag<double>();
var errors = new ConcurrentQueue<string>();
long started = 0, completed = 0;
var calls = new ConcurrentDictionary<FakeCall, byte>();
using var stop = new CancellationTokenSource();
var measuring = false;

async Task RunDialplanCallAsync()
{
    var bridged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var answered = DialplanBridges.Answered("b-" + Guid.NewGuid(), Task.Delay(options.Hold));
    FakeDialplanCall? call = null;
    try
    {
        call = await FakeDialplanCall.DialAsync(dialplanUrl, new FakeDialplanSetup { Destination = "7000", SipUser = "1005", Switch = freeSwitch }, async (c, execution) =>
        {
            if (execution.Application == "bridge")
            {
                if (Volatile.Read(ref measuring))
                {
                    latencies.Add(c.Fetches[0].RoundTrip.TotalMilliseconds);
                }
                bridged.TrySetResult();
            }
            await answered(c, execution);
        });
        if (await Task.WhenAny(bridged.Task, call.Done, Task.Delay(TimeSpan.FromSeconds(10))) != bridged.Task)
        {
            errors.Enqueue($"call {call.Uuid}: no bridge within 10 s ({string.Join(", ", call.Fetches.Select(f => f.Response.Status))})");
            return;
        }
        if (await Task.WhenAny(call.Ended, Task.Delay(options.Hold + TimeSpan.FromSeconds(10))) != call.Ended)
        {
            errors.Enqueue($"call {call.Uuid}: not over 10 s after its conversation");
            return;
        }
        Interlocked.Increment(ref completed);
    }
    catch (Exception ex)
    {
        errors.Enqueue($"call: {ex.GetType().Name}: {ex.Message}");
    }
    finally
    {
        if (call is not null)
        {
            await call.DisposeAsync();
        }
    }
}

async Task RunCallAsync()
{
    var bridged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    FakeCall? call = null;
    try
    {
        call = await FakeCall.DialAsync(endpoint, new FakeCallSetup { Destination = "7000", SipUser = "1005" }, async (c, execution) =>
        {
            if (execution.Application != "bridge")
            {
                await c.CompleteAsync(execution);
                return;
            }
            if (Volatile.Read(ref measuring))
            {
                latencies.Add(Stopwatch.GetElapsedTime(c.ConnectRepliedAt, execution.ReceivedAt).TotalMilliseconds);
            }
            bridged.TrySetResult();
            await Task.Delay(options.Hold);
            await c.CompleteAsync(execution, new Dictionary<string, string> { ["variable_originate_disposition"] = "SUCCESS", ["variable_last_bridge_to"] = "b-" + c.Uuid });
        });
        calls[call] = 0;
        var first = await Task.WhenAny(bridged.Task, call.Closed, Task.Delay(TimeSpan.FromSeconds(10)));
        if (first != bridged.Task)
        {
            errors.Enqueue($"call {call.Uuid}: {(first == call.Closed ? "closed before its bridge (dropped)" : "no bridge within 10 s")}");
            return;
        }
        if (await Task.WhenAny(call.Closed, Task.Delay(options.Hold + TimeSpan.FromSeconds(10))) != call.Closed)
        {
            errors.Enqueue($"call {call.Uuid}: session still open 10 s after the bridge ended");
            return;
        }
        if (call.HangupCause is { } cause)
        {
            errors.Enqueue($"call {call.Uuid}: daemon hung up an answered call with {cause}");
            return;
        }
        Interlocked.Increment(ref completed);
    }
    catch (Exception ex)
    {
        errors.Enqueue($"call: {ex.GetType().Name}: {ex.Message}");
    }
    finally
    {
        if (call is not null)
        {
            calls.TryRemove(call, out _);
            await call.DisposeAsync();
        }
    }
}

async Task GenerateCallsAsync(CancellationToken token)
{
    var tasks = new List<Task>();
    var clock = Stopwatch.StartNew();
    using var tick = new PeriodicTimer(options.Tick);
    while (await tick.WaitForNextTickAsync(CancellationToken.None) && !token.IsCancellationRequested)
    {
        var due = (long)(clock.Elapsed.TotalSeconds * options.Rate);
        while (Interlocked.Read(ref started) < due)
        {
            Interlocked.Increment(ref started);
            // A call once started runs to its end: the token stops new calls, not the ones under way.
            tasks.Add(Task.Run(options.Dialplan ? RunDialplanCallAsync : RunCallAsync, CancellationToken.None));
        }
        tasks.RemoveAll(t => t.IsCompleted);
    }
    await Task.WhenAll(tasks);
}

var feeder = new ChannelEventFeeder(freeSwitch, options.EventsPerSecond, options.Tick);
var generating = GenerateCallsAsync(stop.Token);
var feeding = feeder.RunAsync(stop.Token);

await Task.Delay(options.Warmup);
Volatile.Write(ref measuring, true);
// The daemon's histogram counts from its start; the warm-up (JIT) is taken off, as the harness's own figure does.
var atStart = await metrics.ScrapeAsync();
var samples = new List<MetricsSample>();
var clock = Stopwatch.StartNew();
while (clock.Elapsed < options.Duration)
{
    await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, options.Duration.TotalSeconds)));
    var sample = await metrics.ScrapeAsync();
    samples.Add(sample);
    Console.WriteLine($"{clock.Elapsed.TotalSeconds,5:0}s: active {sample.ActiveCalls,5:0}, tracked {sample.TrackedChannels,5:0}, heap {Mb(sample.Heap)}, live at last full GC {Mb(sample.LiveAtFullGc)}, RSS {Mb(sample.Rss)}, events {sample.EventsReceived:0}, errors {errors.Count}");
}
Volatile.Write(ref measuring, false);
var elapsed = clock.Elapsed;
var startedInWindow = Interlocked.Read(ref started);
await stop.CancelAsync();
await feeding;
await generating;
var final = await metrics.ScrapeAsync();

var sorted = latencies.Order().ToArray();
double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
var steady = samples.Skip(samples.Count / 2).ToList();
var perCall = steady.Count == 0 ? 0 : steady.Average(s => (s.Heap - idle.Heap) / Math.Max(1, s.ActiveCalls));
var growth = samples.Count < 2 ? 0 : samples[^1].Heap - samples[samples.Count / 2].Heap;

Console.WriteLine();
Console.WriteLine($"calls: {startedInWindow} started, {Interlocked.Read(ref completed)} completed; {Interlocked.Read(ref completed) / (elapsed + options.Warmup).TotalSeconds:0.0} completed/s");
Console.WriteLine($"events: {feeder.Sent} sent ({feeder.Sent / (elapsed + options.Warmup).TotalSeconds:0}/s), daemon received {final.EventsReceived:0}");
Console.WriteLine($"decision latency ({(options.Dialplan ? "fetch posted -> answer read" : "connect reply written -> bridge command read")}), {sorted.Length} calls: p50 {Percentile(0.50):0.000} ms, p99 {Percentile(0.99):0.000} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):0.000} ms");
var measured = MetricsScraper.Since(options.Dialplan ? final.FetchLatency : final.Latency, options.Dialplan ? atStart.FetchLatency : atStart.Latency);
Console.WriteLine($"daemon's own decision time ({(options.Dialplan ? "fetch received -> answer written" : "connect reply read -> bridge written")}, its /metrics histogram, after the warm-up): p50 <= {MetricsScraper.QuantileBound(measured, 0.50) * 1000:0.###} ms, p99 <= {MetricsScraper.QuantileBound(measured, 0.99) * 1000:0.###} ms; over 1 ms: {MetricsScraper.FractionAbove(measured, 0.001) * 100:0.00}% (the target allows 1%), over 2.5 ms: {MetricsScraper.FractionAbove(measured, 0.0025) * 100:0.00}%");
if (samples.Count > 0)
{
    var window = (elapsed + options.Warmup).TotalSeconds;
    Console.WriteLine($"daemon GC over the run: {final.Gen0 - idle.Gen0:0} gen0, {final.Gen1 - idle.Gen1:0} gen1, {final.Gen2 - idle.Gen2:0} gen2 collections; paused {(final.PauseMicros - idle.PauseMicros) / 1000:0} ms in all ({(final.PauseMicros - idle.PauseMicros) / Math.Max(1, final.Gen0 - idle.Gen0) / 1000:0.00} ms per collection); allocated {(final.Allocated - idle.Allocated) / window / (1024 * 1024):0.0} MB/s");
}
var liveSamples = steady.Where(s => s.LiveAtFullGc > 0).ToList();
Console.WriteLine($"live managed memory after the last full GC: {(liveSamples.Count == 0 ? "no gen2 GC during the run" : $"{Mb(liveSamples[^1].LiveAtFullGc)} with {liveSamples[^1].ActiveCalls:0} calls up, {(liveSamples[^1].LiveAtFullGc - idle.Heap) / Math.Max(1, liveSamples[^1].ActiveCalls) / 1024:0.0} KB per call")}");
Console.WriteLine($"memory: idle heap {Mb(idle.Heap)}; under load heap {Mb(steady.Count == 0 ? 0 : steady.Average(s => s.Heap))}, RSS {Mb(steady.Count == 0 ? 0 : steady.Average(s => s.Rss))}; managed heap per call in progress {perCall / 1024:0.0} KB; heap change over the second half {Mb(growth)}");
using (var http = new HttpClient())
{
    var deliveries = (await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/metrics"))).Split('\n')
        .Where(l => l.StartsWith("eslcallflow_call_events_", StringComparison.Ordinal));
    Console.WriteLine($"call event delivery{(slowHook is null ? "" : $" (slow hook received {slowHook.Received})")}: {string.Join("; ", deliveries)}");
}
Console.WriteLine($"errors: {errors.Count}");
foreach (var error in errors.Take(20))
{
    Console.WriteLine("  " + error);
}
return errors.IsEmpty && daemon.IsRunning ? 0 : 1;

static string Mb(double bytes) => (bytes / (1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

static int FreePort()
{
    using var probe = new TcpListener(IPAddress.Loopback, 0);
    probe.Start();
    return ((IPEndPoint)probe.LocalEndpoint).Port;
}
