using static EslCallflow.Metrics.PrometheusText;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using EslCallflow.Esl;

namespace EslCallflow.Metrics;

/// <summary>
/// The daemon's counters, written out in the Prometheus text format. Lock-free on the call path; gauges
/// (active calls, tracked channels, link state) are read from their owners when scraped. The ESL library's own
/// counters (its <see cref="EslMetrics.MeterName"/> meter) are listened to and written out with them.
/// </summary>
public sealed class DaemonMetrics : IDisposable
{
    /// <summary>The ESL library's counters, as <c>/metrics</c> names them, with their help text.</summary>
    private static readonly (string Instrument, string Name, string Help)[] EslCounters =
    [
        (EslMetrics.SessionsRefusedName, "eslcallflow_esl_outbound_sessions_refused_total", "Outbound connections closed as they arrived, by reason (max_sessions, peer_not_allowed)."),
        (EslMetrics.SessionsClosedName, "eslcallflow_esl_outbound_sessions_closed_total", "Outbound connections the listener closed, by reason (handshake, idle, frame_limit, protocol_error)."),
        (EslMetrics.EventsSkippedName, "eslcallflow_esl_events_skipped_total", "Events not decoded, by reason (unrequested_format)."),
        (EslMetrics.EventsDroppedName, "eslcallflow_esl_events_dropped_total", "Inbound events lost because the channel tracker fell behind (the link is then reconnected and the channel list rebuilt), by reason (consumer_behind)."),
    ];

    /// <summary>Decision latency buckets in seconds: the target is 1 ms at p99, so most resolution sits below it.</summary>
    public static readonly double[] LatencyBuckets = [0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];

    private readonly ConcurrentDictionary<string, StrongBox<long>> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Module, string Outcome), StrongBox<long>> _moduleOutcomes = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _pickups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _reloads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _stranded = new(StringComparer.Ordinal);
    private readonly long[] _latencyCounts = new long[LatencyBuckets.Length + 1];
    private long _latencyCount;
    private long _latencySumTicks;
    // The port of this daemon's call listener, once it listens: the library's meter is the process's, and a test
    // process runs several daemons, so decisions are read only from this one's sessions.
    private volatile int _callListenerPort;
    private readonly ConcurrentDictionary<(string Instrument, string Reason), StrongBox<long>> _esl = new();
    private readonly MeterListener _eslListener = new();

    public DaemonMetrics()
    {
        _eslListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EslMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _eslListener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((DaemonMetrics)state!).OnEslMeasurement(instrument.Name, value, tags));
        _eslListener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((DaemonMetrics)state!).OnFirstExecute(instrument.Name, value, tags));
        _eslListener.Start();
    }

    /// <summary>An ESL library counter so far, for one reason.</summary>
    public long Esl(string instrument, string reason) => _esl.TryGetValue((instrument, reason), out var box) ? Interlocked.Read(ref box.Value) : 0;

    public void Dispose() => _eslListener.Dispose();

    private void OnEslMeasurement(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var reason = "unknown";
        foreach (var (key, tag) in tags)
        {
            if (key == "reason" && tag is string text)
            {
                reason = text;
            }
        }
        Interlocked.Add(ref _esl.GetOrAdd((instrument, reason), _ => new StrongBox<long>()).Value, value);
    }

    /// <summary>A call's one outcome, counted once when its flow is over.</summary>
    public void CallEnded(string outcome) => Increment(_calls, outcome);

    /// <summary>A module's outcome; a call whose flow runs several deciding modules counts once for each.</summary>
    public void ModuleEnded(string module, string outcome) => Increment(_moduleOutcomes, (module, outcome));

    public void Pickup(string outcome) => Increment(_pickups, outcome);

    public void Reload(string result) => Increment(_reloads, result);

    /// <summary>A call left answered with no partner, hung up by the daemon; by the state FreeSWITCH left it in.</summary>
    public void StrandedCallEnded(string state) => Increment(_stranded, state);

    public long StrandedCallsEnded(string state) => _stranded.TryGetValue(state, out var box) ? Interlocked.Read(ref box.Value) : 0;

    public long Calls(string outcome) => _calls.TryGetValue(outcome, out var box) ? Interlocked.Read(ref box.Value) : 0;

    public long ModuleOutcomes(string module, string outcome) => _moduleOutcomes.TryGetValue((module, outcome), out var box) ? Interlocked.Read(ref box.Value) : 0;

    public long Pickups(string outcome) => _pickups.TryGetValue(outcome, out var box) ? Interlocked.Read(ref box.Value) : 0;

    public long DecisionCount => Interlocked.Read(ref _latencyCount);

    /// <summary>Decisions are read from the sessions of the call listener on <paramref name="port"/> from now on.</summary>
    public void WatchCallListener(int port) => _callListenerPort = port;

    /// <summary>
    /// A session's first batch of executes went out (the library's <see cref="EslMetrics.FirstExecuteDelayName"/>).
    /// One that ends in a bridge (a ring group, device or user ringing) or an intercept (a pickup) is the call's
    /// decision, timed from its connect reply; a call that plays, responds or transfers first has none.
    /// </summary>
    private void OnFirstExecute(string instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument != EslMetrics.FirstExecuteDelayName)
        {
            return;
        }
        string? application = null;
        var port = 0;
        foreach (var (key, tag) in tags)
        {
            switch (key)
            {
                case "application":
                    application = tag as string;
                    break;
                case "server.port" when tag is int value:
                    port = value;
                    break;
            }
        }
        if (port != 0 && port == _callListenerPort && application is "bridge" or "intercept")
        {
            Decision(seconds);
        }
    }

    /// <summary>From the connect reply to the bridge (or intercept) command going out.</summary>
    private void Decision(double seconds)
    {
        var elapsed = TimeSpan.FromSeconds(seconds);
        var bucket = 0;
        while (bucket < LatencyBuckets.Length && seconds > LatencyBuckets[bucket])
        {
            bucket++;
        }
        Interlocked.Increment(ref _latencyCounts[bucket]);
        Interlocked.Increment(ref _latencyCount);
        Interlocked.Add(ref _latencySumTicks, elapsed.Ticks);
    }

    /// <summary>Prometheus text exposition format 0.0.4.</summary>
    public string ToPrometheus(IReadOnlyList<(string Name, string Help, double Value)> gauges, IReadOnlyList<(string Name, string Help, long Value)> counters)
    {
        var text = new StringBuilder(2048);
        Family(text, "eslcallflow_calls_total", "Calls handled, one outcome each, counted when the call's flow is over.", "counter");
        foreach (var (outcome, box) in _calls.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_calls_total", $"outcome=\"{outcome}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_module_outcomes_total", "Outcomes of the deciding modules (ring_group, device, user, pickups, response, transfer), by module.", "counter");
        foreach (var ((module, outcome), box) in _moduleOutcomes.OrderBy(p => p.Key))
        {
            Sample(text, "eslcallflow_module_outcomes_total", $"module=\"{module}\",outcome=\"{outcome}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_pickups_total", "group_pickup attempts by outcome.", "counter");
        foreach (var (outcome, box) in _pickups.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_pickups_total", $"outcome=\"{outcome}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_stranded_calls_ended_total", "Calls left answered with no partner (a picker or member gone before the bridge joined them) that the daemon hung up, by the channel state FreeSWITCH left them in.", "counter");
        foreach (var (state, box) in _stranded.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_stranded_calls_ended_total", $"state=\"{state}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_config_reloads_total", "Configuration reloads by result.", "counter");
        foreach (var (result, box) in _reloads.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_config_reloads_total", $"result=\"{result}\"", Interlocked.Read(ref box.Value));
        }
        foreach (var (instrument, name, help) in EslCounters)
        {
            Family(text, name, help, "counter");
            foreach (var ((_, reason), box) in _esl.Where(p => p.Key.Instrument == instrument).OrderBy(p => p.Key.Reason, StringComparer.Ordinal))
            {
                Sample(text, name, $"reason=\"{reason}\"", Interlocked.Read(ref box.Value));
            }
        }
        foreach (var (name, help, value) in counters)
        {
            Family(text, name, help, "counter");
            Sample(text, name, null, value);
        }
        foreach (var (name, help, value) in gauges)
        {
            Family(text, name, help, "gauge");
            text.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        Family(text, "eslcallflow_decision_latency_seconds", "From the connect reply to the bridge or intercept command.", "histogram");
        long cumulative = 0;
        for (var i = 0; i < LatencyBuckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _latencyCounts[i]);
            Sample(text, "eslcallflow_decision_latency_seconds_bucket", $"le=\"{LatencyBuckets[i].ToString(CultureInfo.InvariantCulture)}\"", cumulative);
        }
        Sample(text, "eslcallflow_decision_latency_seconds_bucket", "le=\"+Inf\"", DecisionCount);
        text.Append("eslcallflow_decision_latency_seconds_sum ")
            .Append(TimeSpan.FromTicks(Interlocked.Read(ref _latencySumTicks)).TotalSeconds.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Sample(text, "eslcallflow_decision_latency_seconds_count", null, DecisionCount);
        return text.ToString();
    }

    private static void Increment<TKey>(ConcurrentDictionary<TKey, StrongBox<long>> counters, TKey key)
        where TKey : notnull => Interlocked.Increment(ref counters.GetOrAdd(key, _ => new StrongBox<long>()).Value);

}
