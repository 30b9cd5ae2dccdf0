using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace EslCallflow.Delivery;

/// <summary>
/// One destination's queue, apart from call handling: events are spooled (fsync'd) as they are offered and wait
/// there, the queue holding only their place in the spool (a few bytes each, whatever the event's size). Each is
/// read back when its turn comes and delivered by <see cref="DeliveryPolicy.Concurrency"/> workers, each call's
/// events one after another in order (different calls in parallel). An attempt that fails is retried with
/// exponential backoff and jitter (Polly); a destination still failing after its retries is tried again every
/// MaxRetryDelay, the event waiting at the head of its call, until it goes through or grows older than MaxEventAge.
/// A refused event, a too old one, and one offered while the queue is full are given up: kept in failed.jsonl,
/// counted and logged.
/// </summary>
public sealed partial class DeliveryBacklog
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<SpoolEntry>> _byRecord = new(StringComparer.Ordinal);
    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly IEventSink _sink;
    private readonly DeliveryPolicy _policy;
    private readonly EventSpool _spool;
    private readonly FailedEventLog _failed;
    private readonly DeliveryMetrics _metrics;
    private readonly ResiliencePipeline<DeliveryAttempt> _pipeline;
    private readonly int _capacity;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, bool> _wants;
    private int _pending;
    private long _fullStreak;
    private int _unreachable;
    private static readonly ResiliencePropertyKey<string> CallUuidKey = new("eslcallflow.call_uuid");

    public DeliveryBacklog(string name, Func<string, bool> wants, IEventSink sink, DeliveryPolicy policy, EventSpool spool, IReadOnlyList<(string RecordId, SpoolEntry At)> recovered,
        FailedEventLog failed, DeliveryMetrics metrics, int capacity, TimeSpan maxAge, TimeProvider time, ILogger logger)
    {
        Name = name;
        _wants = wants;
        _sink = sink;
        _policy = policy;
        _spool = spool;
        _failed = failed;
        _metrics = metrics;
        _capacity = capacity;
        _maxAge = maxAge;
        _time = time;
        _logger = logger;
        var builder = new ResiliencePipelineBuilder<DeliveryAttempt> { TimeProvider = time };
        if (policy.Retries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<DeliveryAttempt>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is TimeoutRejectedException or HttpRequestException or IOException
                    || args.Outcome.Result.Status == DeliveryStatus.Transient),
                MaxRetryAttempts = policy.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = policy.RetryDelay,
                MaxDelay = policy.MaxRetryDelay,
                OnRetry = args =>
                {
                    _metrics.Retried(Name);
                    args.Context.Properties.TryGetValue(CallUuidKey, out var callUuid);
                    LogRetrying(_logger, callUuid ?? "unknown", Name, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? args.Outcome.Result.Detail);
                    return default;
                },
            });
        }
        _pipeline = builder.AddTimeout(policy.Timeout).Build();
        foreach (var (recordId, at) in recovered)
        {
            AddLocked(recordId, at);
        }
        metrics.Track(name, () => Volatile.Read(ref _pending));
        if (recovered.Count > 0)
        {
            LogRecovered(_logger, Name, recovered.Count, spool.Folder ?? "memory");
        }
    }

    public string Name { get; }

    /// <summary>Events waiting for this destination (spooled and not yet delivered or given up).</summary>
    public int Pending => Volatile.Read(ref _pending);

    public bool Wants(string eventType) => _wants(eventType);

    /// <summary>Takes the events into the spool and the queue, or gives up those beyond its capacity. Never blocks on delivery.</summary>
    public void Offer(IReadOnlyList<SpooledEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }
        var accepted = new List<SpooledEvent>(events.Count);
        var refused = new List<SpooledEvent>();
        lock (_gate)
        {
            foreach (var evt in events)
            {
                (Volatile.Read(ref _pending) + accepted.Count < _capacity ? accepted : refused).Add(evt);
            }
            var entries = _spool.Append(accepted, out var failure);
            if (failure is not null)
            {
                LogSpoolFailed(_logger, Name, entries.Count(e => e.InMemory), failure);
            }
            for (var i = 0; i < accepted.Count; i++)
            {
                AddLocked(accepted[i].RecordId, entries[i]);
            }
            if (refused.Count == 0)
            {
                _fullStreak = 0;
            }
        }
        _failed.Write(refused, "queue_full", $"{_capacity} events already waiting");
        foreach (var evt in refused)
        {
            var streak = Interlocked.Increment(ref _fullStreak);
            _metrics.Failed(Name, "queue_full");
            if (streak == 1 || streak % 1000 == 0)
            {
                LogQueueFull(_logger, Name, _capacity, streak, evt.CallUuid, evt.Type, _failed.Path);
            }
            // Each at Debug: a hook down for long refuses every event, and the Error above already says so.
            LogRefused(_logger, evt.CallUuid, evt.Type, evt.Id, Name);
        }
    }

    /// <summary>Runs the workers until <paramref name="stopping"/>; what is in flight then stays spooled for the next start.</summary>
    public Task RunAsync(CancellationToken stopping) =>
        Task.WhenAll(Enumerable.Range(0, _policy.Concurrency).Select(_ => Task.Run(() => WorkAsync(stopping), CancellationToken.None)));

    private async Task WorkAsync(CancellationToken stopping)
    {
        try
        {
            while (await _ready.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                if (!_ready.Reader.TryRead(out var recordId))
                {
                    continue;
                }
                SpoolEntry at;
                lock (_gate)
                {
                    at = _byRecord[recordId].Peek();
                }
                if (ReadBack(recordId, at) is not { } head)
                {
                    Done(recordId, at, null);
                    continue;
                }
                var (reason, detail) = await DeliverAsync(head, stopping).ConfigureAwait(false);
                if (reason is not null)
                {
                    _failed.Write(head, reason, detail);
                    _metrics.Failed(Name, reason);
                    LogGivenUp(_logger, head.CallUuid, head.Type, head.Id, Name, reason, detail);
                }
                Done(recordId, at, head.Id);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Null when delivered; else why it was given up.</summary>
    private async Task<(string? Reason, string Detail)> DeliverAsync(SpooledEvent evt, CancellationToken stopping)
    {
        while (true)
        {
            DeliveryAttempt attempt;
            try
            {
                var context = ResilienceContextPool.Shared.Get(stopping);
                context.Properties.Set(CallUuidKey, evt.CallUuid);
                try
                {
                    attempt = await _pipeline.ExecuteAsync(static (ctx, state) => new ValueTask<DeliveryAttempt>(state.Sink.SendAsync(state.Evt, ctx.CancellationToken)), context, (Sink: _sink, Evt: evt)).ConfigureAwait(false);
                }
                finally
                {
                    ResilienceContextPool.Shared.Return(context);
                }
            }
            catch (Exception ex) when (ex is TimeoutRejectedException or HttpRequestException or IOException)
            {
                attempt = DeliveryAttempt.Transient(ex is TimeoutRejectedException ? $"no answer within {_policy.Timeout.TotalSeconds:0.###} s" : ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                // A fault of this one event (one that no retry will mend) gives it up; the worker goes on with the rest.
                attempt = DeliveryAttempt.Rejected($"{ex.GetType().Name}: {ex.Message}");
            }
            switch (attempt.Status)
            {
                case DeliveryStatus.Delivered:
                    _metrics.Sent(Name);
                    if (Interlocked.Exchange(ref _unreachable, 0) == 1)
                    {
                        LogReachable(_logger, Name, Pending);
                    }
                    return (null, attempt.Detail);
                case DeliveryStatus.Rejected:
                    return ("rejected", attempt.Detail);
            }
            if (_time.GetUtcNow() - evt.OccurredAt > _maxAge)
            {
                return ("expired", $"undelivered after {_maxAge} ({attempt.Detail})");
            }
            if (Interlocked.Exchange(ref _unreachable, 1) == 0)
            {
                LogUnreachable(_logger, Name, attempt.Detail, Pending, _policy.MaxRetryDelay.TotalSeconds, evt.CallUuid);
            }
            await Task.Delay(_policy.MaxRetryDelay, _time, stopping).ConfigureAwait(false);
            _metrics.Retried(Name);
        }
    }

    /// <summary>The event's JSON from the spool; null (counted and logged) when it cannot be read any more.</summary>
    private SpooledEvent? ReadBack(string recordId, SpoolEntry at)
    {
        string detail;
        try
        {
            if (_spool.Read(at) is { } evt)
            {
                return evt;
            }
            detail = "not an event any more";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            detail = ex.Message;
        }
        _metrics.Failed(Name, "unreadable");
        LogReadBackFailed(_logger, Name, recordId, at.Segment, at.Offset, detail, _spool.Folder ?? "memory");
        return null;
    }

    private void Done(string recordId, SpoolEntry at, string? eventId)
    {
        lock (_gate)
        {
            try
            {
                _spool.Ack(at, eventId);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSpoolFailed(_logger, Name, 1, ex.Message);
            }
            var queue = _byRecord[recordId];
            queue.Dequeue();
            Interlocked.Decrement(ref _pending);
            if (queue.Count == 0)
            {
                _byRecord.Remove(recordId);
            }
            else
            {
                _ready.Writer.TryWrite(recordId);
            }
        }
    }

    private void AddLocked(string recordId, SpoolEntry at)
    {
        Interlocked.Increment(ref _pending);
        if (_byRecord.TryGetValue(recordId, out var queue))
        {
            // That call's earlier event is waiting or in flight: this one follows it.
            queue.Enqueue(at);
            return;
        }
        _byRecord[recordId] = new Queue<SpoolEntry>([at]);
        _ready.Writer.TryWrite(recordId);
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Call {CallUuid}: event delivery to {Destination} failed ({Reason}); attempt {Attempt} in {DelayMs:0} ms")]
    private static partial void LogRetrying(ILogger logger, string callUuid, string destination, int attempt, double delayMs, string reason);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Call {CallUuid}: event {EventType} ({EventId}) for {Destination} given up ({Reason}: {Detail}); kept in failed.jsonl")]
    private static partial void LogGivenUp(ILogger logger, string callUuid, string eventType, string eventId, string destination, string reason, string detail);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Debug, Message = "Call {CallUuid}: event {EventType} ({EventId}) for {Destination} not queued (queue full); kept in failed.jsonl")]
    private static partial void LogRefused(ILogger logger, string callUuid, string eventType, string eventId, string destination);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Call event destination {Destination} unreachable ({Reason}); {Pending} event(s) wait in its spool, tried again every {RetrySeconds:0.###} s (first waiting: call {CallUuid})")]
    private static partial void LogUnreachable(ILogger logger, string destination, string reason, int pending, double retrySeconds, string callUuid);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Call event destination {Destination} reachable again; {Pending} event(s) still waiting")]
    private static partial void LogReachable(ILogger logger, string destination, int pending);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Error, Message = "Call event destination {Destination} is full ({Capacity} events waiting): {Refused} new event(s) not queued so far, kept in {FailedFile} (latest: {EventType} of call {CallUuid})")]
    private static partial void LogQueueFull(ILogger logger, string destination, int capacity, long refused, string callUuid, string eventType, string failedFile);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Error, Message = "Call event spool of {Destination}: could not write {Count} event(s) ({Reason}); they are delivered from memory")]
    private static partial void LogSpoolFailed(ILogger logger, string destination, int count, string reason);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Error, Message = "Call event spool of {Destination}: an event of record {RecordId} (segment {Segment}, byte {Offset}) could not be read back from {Folder} ({Reason}); left out of delivery")]
    private static partial void LogReadBackFailed(ILogger logger, string destination, string recordId, long segment, long offset, string reason, string folder);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Information, Message = "Call event destination {Destination}: {Count} event(s) from the spool in {Folder} to deliver")]
    private static partial void LogRecovered(ILogger logger, string destination, int count, string folder);
}
