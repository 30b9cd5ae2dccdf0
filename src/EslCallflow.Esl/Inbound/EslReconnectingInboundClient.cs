using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace EslCallflow.Esl.Inbound;

/// <summary>
/// Keeps one inbound connection alive for as long as <see cref="RunAsync"/> runs: connects with exponential
/// backoff and jitter (never giving up), re-subscribes, watches HEARTBEAT, and reports
/// Connected/Received/Disconnected signals in order through one bounded queue.
/// </summary>
public sealed partial class EslReconnectingInboundClient
{
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
        _signals = Channel.CreateBounded<EslInboundSignal>(new BoundedChannelOptions(options.EventQueueCapacity)
        {
            SingleWriter = true,
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
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
                var client = await _connectPipeline.ExecuteAsync(ConnectAndSubscribeAsync, stoppingToken).ConfigureAwait(false);
                var generation = Interlocked.Increment(ref _generation);
                if (generation > 1)
                {
                    Interlocked.Increment(ref _reconnects);
                }
                LogConnected(_logger, _options.ToString(), generation, generation > 1);
                _current = client;
                await _signals.Writer.WriteAsync(new EslInboundSignal.Connected(generation, generation > 1, client), stoppingToken).ConfigureAwait(false);

                string reason;
                try
                {
                    await foreach (var evt in client.ReadEventsAsync(cancellationToken: stoppingToken).ConfigureAwait(false))
                    {
                        await _signals.Writer.WriteAsync(new EslInboundSignal.Received(generation, evt), stoppingToken).ConfigureAwait(false);
                    }
                    reason = (await client.Completion.ConfigureAwait(false)).Message;
                }
                finally
                {
                    _current = null;
                    await client.DisposeAsync().ConfigureAwait(false);
                }

                LogLost(_logger, _options.ToString(), reason);
                await _signals.Writer.WriteAsync(new EslInboundSignal.Disconnected(generation, reason), stoppingToken).ConfigureAwait(false);
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

    private async ValueTask<EslInboundClient> ConnectAndSubscribeAsync(CancellationToken cancellationToken)
    {
        var client = await EslInboundClient.ConnectAsync(_options, _loggerFactory, cancellationToken).ConfigureAwait(false);
        try
        {
            client.KeepOnlyEventHeaders(_subscription.EventHeaders);
            foreach (var (header, value) in _subscription.Filters)
            {
                await client.FilterAsync(header, value, cancellationToken).ConfigureAwait(false);
            }
            await client.SubscribeAsync(_subscription.Format, _subscription.EventNames, cancellationToken).ConfigureAwait(false);
            if (_options.HeartbeatTimeout > TimeSpan.Zero && _subscription.EventNames.Contains("HEARTBEAT"))
            {
                client.SetHeartbeatTimeout(_options.HeartbeatTimeout);
            }
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Connected to FreeSWITCH event socket {Endpoint} (generation {Generation}, reconnect {IsReconnect})")]
    private static partial void LogConnected(ILogger logger, string endpoint, int generation, bool isReconnect);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Lost FreeSWITCH event socket {Endpoint}: {Reason}; reconnecting")]
    private static partial void LogLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Cannot reach FreeSWITCH event socket {Endpoint} (attempt {Attempt}, next in {DelayMs:0} ms): {Reason}")]
    private static partial void LogRetry(ILogger logger, string endpoint, int attempt, double delayMs, string reason);
}
