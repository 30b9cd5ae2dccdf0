using static EslCallflow.Metrics.PrometheusText;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace EslCallflow.Delivery;

/// <summary>Per destination (a webhook's name, or <c>freeswitch</c>): events sent, retried, given up, and waiting.</summary>
public sealed class DeliveryMetrics
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _sent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _retried = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Destination, string Reason), StrongBox<long>> _failed = new();
    private readonly ConcurrentDictionary<string, Func<int>> _depth = new(StringComparer.Ordinal);

    public void Sent(string destination) => Add(_sent, destination);

    public void Retried(string destination) => Add(_retried, destination);

    public void Failed(string destination, string reason) => Add(_failed, (destination, reason));

    public void Track(string destination, Func<int> depth) => _depth[destination] = depth;

    public long SentCount(string destination) => Read(_sent, destination);

    public long RetriedCount(string destination) => Read(_retried, destination);

    public long FailedCount(string destination, string reason) => Read(_failed, (destination, reason));

    public int Depth(string destination) => _depth.TryGetValue(destination, out var depth) ? depth() : 0;

    public void WritePrometheus(StringBuilder text)
    {
        Family(text, "eslcallflow_call_events_sent_total", "Call events delivered, by destination (a webhook's name, or freeswitch).", "counter");
        foreach (var (destination, box) in _sent.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_call_events_sent_total", $"destination=\"{destination}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_call_events_retried_total", "Delivery attempts made again after a failed one, by destination.", "counter");
        foreach (var (destination, box) in _retried.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_call_events_retried_total", $"destination=\"{destination}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_call_events_failed_total", "Call events given up (kept in the destination's failed.jsonl), by destination and reason (rejected, expired, queue_full; unreadable and dispatcher_behind, which no file keeps).", "counter");
        foreach (var ((destination, reason), box) in _failed.OrderBy(p => p.Key))
        {
            Sample(text, "eslcallflow_call_events_failed_total", $"destination=\"{destination}\",reason=\"{reason}\"", Interlocked.Read(ref box.Value));
        }
        Family(text, "eslcallflow_call_events_queued", "Call events waiting for delivery (spooled on disk), by destination.", "gauge");
        foreach (var (destination, depth) in _depth.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Sample(text, "eslcallflow_call_events_queued", $"destination=\"{destination}\"", depth());
        }
    }

    private static void Add<TKey>(ConcurrentDictionary<TKey, StrongBox<long>> counters, TKey key)
        where TKey : notnull => Interlocked.Increment(ref counters.GetOrAdd(key, _ => new StrongBox<long>()).Value);

    private static long Read<TKey>(ConcurrentDictionary<TKey, StrongBox<long>> counters, TKey key)
        where TKey : notnull => counters.TryGetValue(key, out var box) ? Interlocked.Read(ref box.Value) : 0;
}
