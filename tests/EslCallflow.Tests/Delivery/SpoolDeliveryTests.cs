using System.Runtime.CompilerServices;
using EslCallflow.Records;
using EslCallflow.Delivery;
using Microsoft.Extensions.Logging.Abstractions;

namespace EslCallflow.Tests;

/// <summary>
/// One destination's queue on its real spool, delivering to a real HTTP receiver (issue 19): a full queue waits on
/// disk, not in memory, and everything in it reaches the receiver when it is back, in order per call, with the
/// same ids, across a restart too.
/// </summary>
public class SpoolDeliveryTests
{
    private const int EventsPerCall = 4;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_full_queue_of_ten_thousand_events_keeps_none_of_their_json_in_memory_and_delivers_all_in_order_when_the_receiver_is_back()
    {
        const int capacity = 10_000;
        await using var receiver = await WebhookReceiver.StartAsync();
        await receiver.StopAsync();
        var folder = Directory.CreateTempSubdirectory("eslcallflow-spool-10k").FullName;
        await using var hook = HookQueue.Start(folder, receiver.Url, capacity);

        var offered = OfferCalls(hook.Backlog, capacity / EventsPerCall, out var jsonOffered);

        Assert.Equal(capacity, hook.Backlog.Pending);
        // Whatever waits, waits in the spool: once offered, no event's JSON is held by the queue.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(0, jsonOffered.Count(j => j.IsAlive));

        await receiver.StartAgainAsync();

        await receiver.WaitForAsync(d => d.Select(h => h.EventId).Distinct().Count() == capacity, Timeout);
        AssertInOrderWithTheSameIds(offered, receiver.Delivered.Select(h => h.EventId!));
        // Counted once the queue has read the receiver's 200, which may be just after the receiver saw the event.
        await Eventually.True(() => hook.Backlog.Pending == 0, Timeout);
        Assert.Equal(capacity, hook.Metrics.SentCount("crm"));
    }

    [Fact]
    public async Task Events_left_in_the_spool_by_a_stop_are_delivered_after_it_with_the_same_ids_and_those_delivered_before_are_not_sent_again()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // The first 600 go through; then the receiver fails every attempt, until the stop.
        receiver.Respond = n => (n <= 600 ? 200 : 503, TimeSpan.Zero);
        var folder = Directory.CreateTempSubdirectory("eslcallflow-spool-stop").FullName;
        List<string> offered;
        await using (var first = HookQueue.Start(folder, receiver.Url, 10_000))
        {
            offered = OfferCalls(first.Backlog, 2_500 / EventsPerCall, out _);
            await Eventually.True(() => first.Metrics.SentCount("crm") == 600, Timeout);
        }
        var before = receiver.Delivered.Select(h => h.EventId!).ToList();
        Assert.Equal(600, before.Count);

        using (EventSpool.Open(folder, out var left, out _))
        {
            Assert.Equal(offered.Count - 600, left.Count);
        }

        receiver.Respond = _ => (200, TimeSpan.Zero);
        await using var second = HookQueue.Start(folder, receiver.Url, 10_000);

        await receiver.WaitForAsync(d => d.Count == offered.Count, Timeout);
        Assert.Empty(receiver.Delivered.Skip(600).Select(h => h.EventId).Intersect(before));
        AssertInOrderWithTheSameIds(offered, receiver.Delivered.Select(h => h.EventId!));
    }

    /// <summary>Every offered id arrived, and each call's events arrived in the order they were offered.</summary>
    private static void AssertInOrderWithTheSameIds(IReadOnlyList<string> offered, IEnumerable<string> delivered)
    {
        var firstArrivals = delivered.Distinct().ToList();
        Assert.Equal(offered.Order(StringComparer.Ordinal), firstArrivals.Order(StringComparer.Ordinal));
        foreach (var call in firstArrivals.GroupBy(RecordOf))
        {
            Assert.Equal(offered.Where(id => RecordOf(id) == call.Key), call);
        }
    }

    private static string RecordOf(string eventId) => eventId[..eventId.LastIndexOf('-')];

    /// <summary>Offers <paramref name="calls"/> calls' events, 250 at a time; returns their ids. Nothing here outlives the call but those ids and weak references to the JSON.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<string> OfferCalls(DeliveryBacklog backlog, int calls, out List<WeakReference> json)
    {
        var events = Enumerable.Range(0, calls).SelectMany(c => Enumerable.Range(1, EventsPerCall).Select(s => Event($"rec{c:D5}", s).ToSpooled())).ToList();
        foreach (var batch in events.Chunk(250))
        {
            backlog.Offer(batch);
        }
        json = [.. events.Select(e => new WeakReference(e.Json))];
        return [.. events.Select(e => e.Id)];
    }

    private static CallEvent Event(string recordId, int sequence)
    {
        var at = DateTimeOffset.UtcNow;
        return new CallEvent(sequence == EventsPerCall ? CallEventType.Ended : CallEventType.Ringing, sequence, at, new CallRecord
        {
            RecordId = recordId,
            CallUuid = "call-" + recordId,
            Number = "7000",
            CallflowId = "sales-ring-group",
            Caller = new CallerInfo("dev1005", true, "Reception", "1005"),
            StartedAt = at,
            RingAttempts = [new RingAttempt(1, "ring_group", "simultaneous", at, ["dev1001", "dev1002", "dev1003", "dev1004"], [])],
        });
    }

    /// <summary>A webhook's queue as the dispatcher builds it (its spool, failed.jsonl, workers), stopped and its files closed on dispose.</summary>
    private sealed class HookQueue : IAsyncDisposable
    {
        private readonly EventSpool _spool;
        private readonly FailedEventLog _failed;
        private readonly HttpClient _http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _workers;

        private HookQueue(string folder, string url, int capacity)
        {
            _spool = EventSpool.Open(folder, out var recovered, out _);
            _failed = new FailedEventLog(folder, 1 << 20, TimeProvider.System);
            var options = new WebhookOptions { Name = "crm", Url = url, Secret = HookArgs.Secret };
            var policy = new DeliveryPolicy(TimeSpan.FromSeconds(5), 1, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), 8);
            Backlog = new DeliveryBacklog("crm", _ => true, new WebhookSink(_http, options), policy, _spool, recovered, _failed, Metrics, capacity, TimeSpan.FromDays(1),
                TimeProvider.System, NullLogger.Instance);
            _workers = Backlog.RunAsync(_stop.Token);
        }

        public DeliveryBacklog Backlog { get; }

        public DeliveryMetrics Metrics { get; } = new();

        public static HookQueue Start(string folder, string url, int capacity) => new(folder, url, capacity);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _workers.WaitAsync(Timeout);
            _spool.Dispose();
            _failed.Dispose();
            _http.Dispose();
            _stop.Dispose();
        }
    }
}
