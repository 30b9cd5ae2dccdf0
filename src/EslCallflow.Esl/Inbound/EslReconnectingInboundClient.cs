using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Esl.Inbound;

/// <summary>
/// Keeps one inbound connection alive for as long as <see cref="RunAsync"/> runs: connects with exponential
/// backoff and jitter (never giving up), re-subscribes, watches HEARTBEAT, and reports
/// each link made, event received and link lost, in order (<see cref="EslInboundSignal"/>).
/// </summary>
/// <remarks>
/// Events wait in one queue, the connection's (<see cref="EslInboundOptions.EventQueueCapacity"/>), opened before
/// <c>event</c> is sent so none arrives unheard. The signal channel behind it only hands them over. A consumer
/// that falls so far behind that the queue overflows has lost events, and with them the truth of what it tracks
/// (a lost CHANNEL_HANGUP is a ghost leg): the loss is logged and counted, and the link is closed, so the
/// consumer sees the link lost, then made again, and rebuilds its state.
/// </remarks>
public sealed partial class EslReconnectingInboundClient
{
    // The consumer runs on the relay's thread (AllowSynchronousContinuations below), so this fills only while it awaits
    // (a resync after a reconnect); the queue that absorbs a slow consumer is the connection's.
    private const int SignalHandOff = 256;

    private readonly EslInboundOptions _options;
    private readonly EslSubscription _subscription;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Channel<EslInboundSignal> _signals;
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
        _signals = Channel.CreateBounded<EslInboundSignal>(new BoundedChannelOptions(SignalHandOff)
        {
            SingleWriter = true,
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            // The relay below only moves events from the connection's queue to here, so the consumer's next step runs
            // on its thread rather than as one more thread-pool hop per event: each hop is a worker woken, and on a
            // small machine those context switches were the larger part of the daemon's CPU per call (BENCHMARKS.md,
            // issue 29). The read loop itself still never runs the consumer (EventSubscriber).
            AllowSynchronousContinuations = true,
        });
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

    public IAsyncEnumerable<EslInboundSignal> ReadSignalsAsync(CancellationToken cancellationToken = default) =>
        _signals.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Runs the connect/subscribe/read loop until <paramref name="stoppingToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var (client, events) = await _connectPipeline.ExecuteAsync(ConnectAndSubscribeAsync, stoppingToken).ConfigureAwait(false);
                var generation = Interlocked.Increment(ref _generation);
                if (generation > 1)
                {
                    Interlocked.Increment(ref _reconnects);
                }
                LogConnected(_logger, _options.ToString(), generation, generation > 1);
                _current = client;
                await _signals.Writer.WriteAsync(EslInboundSignal.Connect(generation, client), stoppingToken).ConfigureAwait(false);

                string reason;
                try
                {
                    await foreach (var evt in events.WithCancellation(stoppingToken).ConfigureAwait(false))
                    {
                        await _signals.Writer.WriteAsync(EslInboundSignal.Received(generation, evt), stoppingToken).ConfigureAwait(false);
                    }
                    reason = (await client.Completion.ConfigureAwait(false)).Message;
                }
                finally
                {
                    _current = null;
                    await client.DisposeAsync().ConfigureAwait(false);
                }

                LogLost(_logger, _options.ToString(), reason);
                await _signals.Writer.WriteAsync(EslInboundSignal.Lost(generation, reason), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host is stopping.
        }
        finally
        {
            _signals.Writer.TryComplete();
        }
    }

    private async ValueTask<(EslInboundClient Client, IAsyncEnumerable<EslEvent> Events)> ConnectAndSubscribeAsync(CancellationToken cancellationToken)
    {
        var client = await EslInboundClient.ConnectAsync(_options, _loggerFactory, cancellationToken).ConfigureAwait(false);
        try
        {
            // The queue first: it exists before 'event' is sent, so nothing FreeSWITCH sends after it goes unheard.
            var events = client.ReadEvents(filter: null, overflowed: dropped => OnOverflow(client, dropped), CancellationToken.None);
            await client.SubscribeAsync(_subscription, cancellationToken).ConfigureAwait(false);
            return (client, events);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void OnOverflow(EslInboundClient client, long dropped)
    {
        // Called on the read loop for each event dropped until the link is down; say it once per connection.
        if (dropped == 1)
        {
            LogOverflow(_logger, _options.ToString(), _options.EventQueueCapacity);
        }
        client.Abort($"event queue overflow: the consumer fell more than {_options.EventQueueCapacity} events behind");
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "Events from FreeSWITCH event socket {Endpoint} were lost: the consumer fell more than {Capacity} events behind; reconnecting to rebuild state")]
    private static partial void LogOverflow(ILogger logger, string endpoint, int capacity);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Connected to FreeSWITCH event socket {Endpoint} (generation {Generation}, reconnect {IsReconnect})")]
    private static partial void LogConnected(ILogger logger, string endpoint, int generation, bool isReconnect);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Lost FreeSWITCH event socket {Endpoint}: {Reason}; reconnecting")]
    private static partial void LogLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Cannot reach FreeSWITCH event socket {Endpoint} (attempt {Attempt}, next in {DelayMs:0} ms): {Reason}")]
    private static partial void LogRetry(ILogger logger, string endpoint, int attempt, double delayMs, string reason);
}
