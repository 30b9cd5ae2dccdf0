using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace EslCallflow.Esl.Inbound;

/// <summary>
/// Keeps one inbound connection alive for as long as <see cref="RunAsync"/> runs: connects with exponential
/// backoff and jitter (never giving up), re-subscribes, watches HEARTBEAT, and reports
/// Connected/Received/Disconnected signals in order. Events wait in one bounded queue per connection, taken before
/// the <c>event</c> command goes out. Should the consumer fall so far behind that it fills, events are lost: that is
/// logged, counted (<see cref="EslMetrics.EventsDroppedName"/>) and the connection is closed, so the consumer sees
/// Disconnected and then a reconnect, and rebuilds what it keeps from the switch.
/// </summary>
public sealed partial class EslReconnectingInboundClient
{
    private readonly EslInboundOptions _options;
    private readonly EslSubscription _subscription;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    // Only the hand-over of each connection; its events stay in that connection's own queue.
    private readonly Channel<Generation> _generations;
    private readonly ResiliencePipeline _connectPipeline;
    private volatile EslInboundClient? _current;
    private int _generation;
    private long _reconnects;

    public EslReconnectingInboundClient(EslInboundOptions options, EslSubscription subscription, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _options = options;
        _subscription = options.HeartbeatTimeout > TimeSpan.Zero && !subscription.EventNames.Contains("HEARTBEAT")
            ? subscription with { EventNames = [.. subscription.EventNames, "HEARTBEAT"] }
            : subscription;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<EslReconnectingInboundClient>();
        _generations = Channel.CreateUnbounded<Generation>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        _connectPipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<EslConnectException>().Handle<EslConnectionClosedException>().Handle<EslCommandException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.ReconnectDelay,
                MaxDelay = options.MaxReconnectDelay,
                OnRetry = args =>
                {
                    LogRetry(_logger, _options.ToString(), args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "unknown");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The live connection, or null between connections. Never cache it.</summary>
    public EslInboundClient? Current => _current;

    public bool IsConnected => _current is { IsConnected: true };

    public long ReconnectCount => Interlocked.Read(ref _reconnects);

    /// <summary>The signals, in wire order; one reader.</summary>
    public async IAsyncEnumerable<EslInboundSignal> ReadSignalsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var generation in _generations.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                yield return new EslInboundSignal.Connected(generation.Number, generation.Number > 1, generation.Client);
                var events = generation.Events.Reader;
                while (await events.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (events.TryRead(out var evt))
                    {
                        yield return new EslInboundSignal.Received(generation.Number, evt);
                    }
                }
                yield return new EslInboundSignal.Disconnected(generation.Number, await generation.Ended.Task.WaitAsync(cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                generation.Events.Dispose();
            }
        }
    }

    /// <summary>Runs the connect/subscribe/read loop until <paramref name="stoppingToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var generation = await _connectPipeline.ExecuteAsync(ConnectAndSubscribeAsync, stoppingToken).ConfigureAwait(false);
                if (generation.Number > 1)
                {
                    Interlocked.Increment(ref _reconnects);
                }
                LogConnected(_logger, _options.ToString(), generation.Number, generation.Number > 1);
                _current = generation.Client;
                _generations.Writer.TryWrite(generation);

                var reason = "stopping";
                try
                {
                    reason = (await generation.Client.Completion.WaitAsync(stoppingToken).ConfigureAwait(false)).Message;
                }
                finally
                {
                    _current = null;
                    await generation.Client.DisposeAsync().ConfigureAwait(false);
                    generation.Ended.TrySetResult(reason);
                }

                LogLost(_logger, _options.ToString(), reason);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host is stopping.
        }
        finally
        {
            _generations.Writer.TryComplete();
        }
    }

    private async ValueTask<Generation> ConnectAndSubscribeAsync(CancellationToken cancellationToken)
    {
        var client = await EslInboundClient.ConnectAsync(_options, _loggerFactory, cancellationToken).ConfigureAwait(false);
        try
        {
            client.KeepOnlyEventHeaders(_subscription.EventHeaders);
            // The queue exists before FreeSWITCH is asked for events: the first may follow the reply at once.
            var number = Volatile.Read(ref _generation) + 1;
            var events = client.SubscribeEvents(_ => Overflowed(client, number));
            foreach (var (header, value) in _subscription.Filters)
            {
                await client.FilterAsync(header, value, cancellationToken).ConfigureAwait(false);
            }
            await client.SubscribeAsync(_subscription.Format, _subscription.EventNames, cancellationToken).ConfigureAwait(false);
            if (_options.HeartbeatTimeout > TimeSpan.Zero && _subscription.EventNames.Contains("HEARTBEAT"))
            {
                client.SetHeartbeatTimeout(_options.HeartbeatTimeout);
            }
            Interlocked.Increment(ref _generation);
            return new Generation(number, client, events, new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The consumer fell behind and an event was lost: whatever it keeps from events is now wrong. Close the link
    /// (off the read loop that told us), so the consumer sees Disconnected, then a reconnect it rebuilds from.
    /// </summary>
    private void Overflowed(EslInboundClient client, int generation)
    {
        LogOverflowed(_logger, _options.ToString(), generation, _options.EventQueueCapacity);
        ThreadPool.UnsafeQueueUserWorkItem(
            static state => state.client.Abort(new EslConnectionClosedException($"event queue full ({state.capacity} events): events were lost; reconnecting to rebuild state")),
            (client, capacity: _options.EventQueueCapacity), preferLocal: false);
    }

    /// <summary>One connection as the reader sees it: its events, and why it ended once it has.</summary>
    private sealed record Generation(int Number, EslInboundClient Client, Internal.EventSubscriber Events, TaskCompletionSource<string> Ended);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Connected to FreeSWITCH event socket {Endpoint} (generation {Generation}, reconnect {IsReconnect})")]
    private static partial void LogConnected(ILogger logger, string endpoint, int generation, bool isReconnect);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Lost FreeSWITCH event socket {Endpoint}: {Reason}; reconnecting")]
    private static partial void LogLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "FreeSWITCH event socket {Endpoint} (generation {Generation}): the consumer fell behind and its queue of {Capacity} events is full; events were lost, reconnecting to rebuild state")]
    private static partial void LogOverflowed(ILogger logger, string endpoint, int generation, int capacity);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Cannot reach FreeSWITCH event socket {Endpoint} (attempt {Attempt}, next in {DelayMs:0} ms): {Reason}")]
    private static partial void LogRetry(ILogger logger, string endpoint, int attempt, double delayMs, string reason);
}
