using System.Collections.Concurrent;
using EslCallflow.Records;
using EslCallflow.Delivery;
using Microsoft.Extensions.Logging.Abstractions;

namespace EslCallflow.Tests;

/// <summary>
/// The dispatcher's spool thread (issue 19): calls hand their events over without waiting, the thread spools them
/// for every destination before they are queued, and a stop spools what was handed over before it; the spools'
/// acks reach the disk as they are made.
/// </summary>
public class SpoolWriterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly string[] Types = [CallEventType.Started, CallEventType.Ringing, CallEventType.Answered, CallEventType.Ended];

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    public async Task Events_handed_over_before_the_stop_are_on_disk_when_it_completes_and_are_delivered_after_a_restart_in_order_per_call(int gatherMs)
    {
        var root = Directory.CreateTempSubdirectory("eslcallflow-spool-writer").FullName;
        var events = Calls(40);
        using (var first = Destinations.Open(root))
        {
            // No workers run: everything handed over stays waiting, as with a receiver down until the stop.
            using var writer = new SpoolWriter(first.Queues, TimeSpan.FromMilliseconds(gatherMs), NullLogger.Instance);
            writer.Start();
            foreach (var evt in events)
            {
                Assert.True(writer.TryHandOver(evt));
            }
            writer.Complete();
            await writer.Stopped.WaitAsync(Timeout);
        }

        using var second = Destinations.Open(root);

        Assert.Equal(events.Select(e => e.Id), second.Recovered["all"].Select(p => second.Spools["all"].Read(p.At)!.Id));
        Assert.Equal(events.Where(e => e.Type == CallEventType.Ended).Select(e => e.Id), second.Recovered["ended"].Select(p => second.Spools["ended"].Read(p.At)!.Id));
        await second.DeliverAllAsync(events.Count + events.Count / Types.Length);
        AssertInOrderPerCall(events, second.Sinks["all"].Delivered);
        AssertInOrderPerCall([.. events.Where(e => e.Type == CallEventType.Ended)], second.Sinks["ended"].Delivered);
    }

    [Fact]
    public async Task Events_the_disk_refuses_are_delivered_from_memory_in_order_per_call()
    {
        var root = Directory.CreateTempSubdirectory("eslcallflow-spool-writer-gone").FullName;
        var events = Calls(10);
        using var destinations = Destinations.Open(root);
        Directory.Delete(root, recursive: true);
        using var writer = new SpoolWriter(destinations.Queues, TimeSpan.Zero, NullLogger.Instance);
        writer.Start();

        foreach (var evt in events)
        {
            writer.TryHandOver(evt);
        }
        writer.Complete();
        await writer.Stopped.WaitAsync(Timeout);
        await destinations.DeliverAllAsync(events.Count + events.Count / Types.Length);

        AssertInOrderPerCall(events, destinations.Sinks["all"].Delivered);
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task A_destination_that_throws_leaves_the_others_their_events_and_the_thread_goes_on()
    {
        var root = Directory.CreateTempSubdirectory("eslcallflow-spool-writer-throws").FullName;
        var events = Calls(5);
        using var destinations = Destinations.Open(root);
        var broken = destinations.Add(Path.Combine(root, "broken"), "broken", _ => throw new InvalidOperationException("broken filter"));
        using var writer = new SpoolWriter(destinations.Queues, TimeSpan.Zero, NullLogger.Instance);
        writer.Start();

        foreach (var evt in events)
        {
            writer.TryHandOver(evt);
            // One at a time, so each event is a batch of its own and the thread must outlive every throw.
            await Eventually.True(() => destinations.Queues[0].Pending == events.IndexOf(evt) + 1, Timeout);
        }
        writer.Complete();
        await writer.Stopped.WaitAsync(Timeout);

        Assert.Equal(events.Count, destinations.Queues[0].Pending);
        Assert.Equal(0, broken.Pending);
    }

    [Fact]
    public async Task After_the_stop_an_event_is_refused_so_the_caller_counts_it_and_the_call_never_waits()
    {
        var root = Directory.CreateTempSubdirectory("eslcallflow-spool-writer-stopped").FullName;
        using var destinations = Destinations.Open(root);
        using var writer = new SpoolWriter(destinations.Queues, TimeSpan.Zero, NullLogger.Instance);
        writer.Start();
        writer.Complete();
        await writer.Stopped.WaitAsync(Timeout);

        Assert.False(writer.TryHandOver(Calls(1)[0]));
    }

    [Fact]
    public void Acks_are_on_disk_as_they_are_made_and_a_segment_all_acknowledged_goes_with_its_acks()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-spool-acks").FullName;
        // 1,200 events: segment 1 is full (1,000) and the rest went to segment 2.
        var events = Calls(300).Select(e => e.ToSpooled()).ToList();
        using var spool = EventSpool.Open(folder, out _, out _);
        var entries = spool.Append(events, out _);
        spool.Ack(entries[0], events[0].Id);
        spool.Ack(entries[1001], events[1001].Id);

        // Another reader now, as the next start after a kill would be: the acks are there without a close.
        using (EventSpool.Open(folder, out var left, out _))
        {
            Assert.Equal(events.Count - 2, left.Count);
            Assert.DoesNotContain(left, p => p.At == entries[0] || p.At == entries[1001]);
        }
        for (var i = 1; i < 1000; i++)
        {
            spool.Ack(entries[i], events[i].Id);
        }

        Assert.Empty(Directory.GetFiles(folder, "00000001.*"));
        spool.Ack(entries[1002], events[1002].Id);
        using var reopened = EventSpool.Open(folder, out var pending, out _);
        Assert.Equal(events.Skip(1000).Where((_, i) => i is not (1 or 2)).Select(e => e.Id), pending.Select(p => reopened.Read(p.At)!.Id));
    }

    /// <summary>Every call's events arrived, each once at least, in the order they happened.</summary>
    private static void AssertInOrderPerCall(IReadOnlyList<CallEvent> sent, IEnumerable<SpooledEvent> delivered)
    {
        var firstArrivals = delivered.Select(e => e.Id).Distinct().ToList();
        Assert.Equal(sent.Select(e => e.Id).Order(StringComparer.Ordinal), firstArrivals.Order(StringComparer.Ordinal));
        foreach (var call in sent.GroupBy(e => e.RecordId))
        {
            Assert.Equal(call.Select(e => e.Id), firstArrivals.Where(id => id.StartsWith(call.Key + "-", StringComparison.Ordinal)));
        }
    }

    /// <summary><paramref name="count"/> calls' four events each, interleaved as concurrent calls hand them over.</summary>
    private static List<CallEvent> Calls(int count)
    {
        var at = DateTimeOffset.UtcNow;
        return [.. Enumerable.Range(1, Types.Length).SelectMany(sequence => Enumerable.Range(0, count).Select(c => new CallEvent(Types[sequence - 1], sequence, at, new CallRecord
        {
            RecordId = $"rec{c:D4}",
            CallUuid = $"call-{c:D4}",
            Number = "7000",
            Caller = new CallerInfo("dev1005", true, "Reception", "1005"),
            StartedAt = at,
        })))];
    }

    /// <summary>
    /// Two destinations with their spools under one folder, as the dispatcher has them: <c>all</c> wants every event,
    /// <c>ended</c> only <c>call.ended</c>. Their workers run only in <see cref="DeliverAllAsync"/>.
    /// </summary>
    private sealed class Destinations : IDisposable
    {
        private readonly List<IDisposable> _files = [];
        private readonly List<DeliveryBacklog> _queues = [];

        private Destinations()
        {
        }

        public IReadOnlyList<DeliveryBacklog> Queues => _queues;

        public Dictionary<string, EventSpool> Spools { get; } = [];

        public Dictionary<string, IReadOnlyList<(string RecordId, SpoolEntry At)>> Recovered { get; } = [];

        public Dictionary<string, RecordingSink> Sinks { get; } = [];

        public static Destinations Open(string root)
        {
            var destinations = new Destinations();
            destinations.Add(Path.Combine(root, "all"), "all", _ => true);
            destinations.Add(Path.Combine(root, "ended"), "ended", type => type == CallEventType.Ended);
            return destinations;
        }

        public DeliveryBacklog Add(string folder, string name, Func<string, bool> wants)
        {
            var spool = EventSpool.Open(folder, out var recovered, out _);
            var failed = new FailedEventLog(folder, 1 << 20, TimeProvider.System);
            _files.Add(spool);
            _files.Add(failed);
            Spools[name] = spool;
            Recovered[name] = recovered;
            Sinks[name] = new RecordingSink();
            var policy = new DeliveryPolicy(TimeSpan.FromSeconds(5), 0, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), 4);
            var queue = new DeliveryBacklog(name, wants, Sinks[name], policy, spool, recovered, failed, new DeliveryMetrics(), 100_000, TimeSpan.FromDays(1), TimeProvider.System, NullLogger.Instance);
            _queues.Add(queue);
            return queue;
        }

        /// <summary>Runs the workers until the sinks have <paramref name="total"/> events in all, then stops them.</summary>
        public async Task DeliverAllAsync(int total)
        {
            using var stop = new CancellationTokenSource();
            var workers = Task.WhenAll(_queues.Select(q => q.RunAsync(stop.Token)));
            await Eventually.True(() => Sinks.Values.Sum(s => s.Delivered.Count) >= total && _queues.All(q => q.Pending == 0), Timeout);
            await stop.CancelAsync();
            await workers.WaitAsync(Timeout);
        }

        public void Dispose()
        {
            foreach (var file in _files)
            {
                file.Dispose();
            }
        }
    }

    private sealed class RecordingSink : IEventSink
    {
        public ConcurrentQueue<SpooledEvent> Delivered { get; } = new();

        public Task<DeliveryAttempt> SendAsync(SpooledEvent evt, CancellationToken cancellationToken)
        {
            Delivered.Enqueue(evt);
            return Task.FromResult(DeliveryAttempt.Delivered);
        }
    }
}
