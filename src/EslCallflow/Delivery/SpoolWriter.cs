using Microsoft.Extensions.Logging;

namespace EslCallflow.Delivery;

/// <summary>
/// The dispatcher's one thread that spools call events for every destination. Calls hand their events over without
/// waiting (<see cref="TryHandOver"/>); this thread takes what has come, turns each event into its JSON once, and
/// offers the batch to each destination, whose spool writes it and fsyncs it (one fsync per destination for the
/// whole batch) before queuing it for delivery.
/// </summary>
/// <remarks>
/// A thread of its own rather than the thread pool: an fsync blocks its caller for a millisecond or more, and a
/// pool worker blocked there is, on a small machine, a good share of the workers that handle calls. While one batch
/// is being written and fsync'd the next gathers in the hand-over, so the busier the calls, the more events each
/// fsync covers; <c>gatherWindow</c> lets a quiet stream gather a little longer, for fewer fsyncs.
/// </remarks>
public sealed partial class SpoolWriter : IDisposable
{
    /// <summary>Events handed over and not yet taken, at most; beyond it a call's event is counted and logged as not sent.</summary>
    public const int HandOverCapacity = 65_536;
    private const int MaxBatch = 1024;
    // Not BlockingCollection: its take waits on a SemaphoreSlim, which spins (sched_yield) each time the hand-over runs
    // dry before it sleeps, and at a few events a second that was most of this thread's CPU (BENCHMARKS.md, issue 29).
    private readonly Queue<IOutgoingEvent> _handOver = new();
    private readonly AutoResetEvent _arrived = new(false);
    private readonly Lock _gate = new();
    private bool _completed;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReadOnlyList<DeliveryBacklog> _queues;
    private readonly TimeSpan _gatherWindow;
    private readonly ILogger _logger;
    private Thread? _thread;

    /// <param name="queues">The destinations, all added before <see cref="Start"/>.</param>
    /// <param name="gatherWindow">How long to wait after an event for more before spooling them (zero: at once).</param>
    public SpoolWriter(IReadOnlyList<DeliveryBacklog> queues, TimeSpan gatherWindow, ILogger logger)
    {
        _queues = queues;
        _gatherWindow = gatherWindow;
        _logger = logger;
    }

    /// <summary>Completes once every event handed over before <see cref="Complete"/> is spooled (at once if never started).</summary>
    public Task Stopped => _thread is null ? Task.CompletedTask : _stopped.Task;

    /// <summary>From the call path: never blocks. False when the hand-over is full, or after <see cref="Complete"/>.</summary>
    public bool TryHandOver(IOutgoingEvent evt)
    {
        lock (_gate)
        {
            // Completed: the dispatcher is stopping, and the caller counts this event as not sent, as a full hand-over.
            if (_completed || _handOver.Count >= HandOverCapacity)
            {
                return false;
            }
            _handOver.Enqueue(evt);
        }
        try
        {
            _arrived.Set();
            return true;
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile, with no thread left to take it: not sent, as after Complete.
            return false;
        }
    }

    /// <summary>The next event handed over, waiting for one; false once completed and all taken.</summary>
    private bool Take(out IOutgoingEvent evt)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_handOver.TryDequeue(out evt!))
                {
                    return true;
                }
                if (_completed)
                {
                    return false;
                }
            }
            _arrived.WaitOne();
        }
    }

    private bool TryTake(out IOutgoingEvent evt)
    {
        lock (_gate)
        {
            return _handOver.TryDequeue(out evt!);
        }
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "Call event spool" };
        _thread.Start();
    }

    /// <summary>No more events: what was handed over is still spooled, then <see cref="Stopped"/> completes.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
        }
        _arrived.Set();
    }

    /// <summary>Frees the hand-over, unless the thread still runs (stuck on a disk that does not answer): it keeps it then.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _completed = true;
        }
        if (_thread is not { IsAlive: true })
        {
            _arrived.Dispose();
        }
        else
        {
            // Never completed: the thread spools what is left and ends, unless the disk holds it (it keeps the event then).
            _arrived.Set();
        }
    }

    private void Run()
    {
        try
        {
            var taken = new List<IOutgoingEvent>(MaxBatch);
            // Blocking is this thread's job: it waits on its own hand-over, and no pool worker waits with it.
            while (Take(out var first))
            {
                if (_gatherWindow > TimeSpan.Zero && !Volatile.Read(ref _completed))
                {
                    Thread.Sleep(_gatherWindow);
                }
                taken.Add(first);
                while (taken.Count < MaxBatch && TryTake(out var next))
                {
                    taken.Add(next);
                }
                Spool(taken);
                taken.Clear();
            }
            _stopped.TrySetResult();
        }
        catch (Exception ex)
        {
            // Calls never depend on their records: with this thread gone, their events are counted and logged as not sent.
            LogWriterFailed(_logger, ex, ex.Message);
            _stopped.TrySetException(ex);
        }
    }

    private void Spool(List<IOutgoingEvent> taken)
    {
        var batch = new List<SpooledEvent>(taken.Count);
        foreach (var evt in taken)
        {
            try
            {
                batch.Add(evt.ToSpooled());
            }
            catch (Exception ex)
            {
                LogNotSerialised(_logger, ex, evt.CallUuid, evt.Type, ex.Message);
            }
        }
        foreach (var queue in _queues)
        {
            try
            {
                queue.Offer([.. batch.Where(e => queue.Wants(e.Type))]);
            }
            catch (Exception ex)
            {
                // One destination's trouble is its own: the others still get the batch.
                LogOfferFailed(_logger, ex, queue.Name, batch.Count, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 7013, Level = LogLevel.Error, Message = "Call events for {Destination}: a batch of {Count} could not be queued ({Reason})")]
    private static partial void LogOfferFailed(ILogger logger, Exception exception, string destination, int count, string reason);

    [LoggerMessage(EventId = 7018, Level = LogLevel.Error, Message = "Call {CallUuid}: event {EventType} could not be turned into JSON ({Reason}); not sent anywhere")]
    private static partial void LogNotSerialised(ILogger logger, Exception exception, string callUuid, string eventType, string reason);

    [LoggerMessage(EventId = 7019, Level = LogLevel.Critical, Message = "Call event spool thread stopped ({Reason}): call events from now on are not sent anywhere")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception, string reason);
}
