using EslCallflow.Esl;
using EslCallflow.Esl.Inbound;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Hosting;

/// <summary>
/// Keeps the inbound event-socket connection to FreeSWITCH alive (reconnecting forever with backoff) and
/// follows channel events; calls in progress never depend on it, so losing it drops no call.
/// </summary>
public sealed partial class InboundConnectionService : BackgroundService
{
    public static readonly string[] ChannelEvents =
    [
        "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_CALLSTATE",
        "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "BACKGROUND_JOB",
    ];

    private readonly EslReconnectingInboundClient _client;
    private readonly ILogger<InboundConnectionService> _logger;

    public InboundConnectionService(IOptions<EslInboundOptions> options, ILoggerFactory loggerFactory, ILogger<InboundConnectionService> logger)
    {
        _client = new EslReconnectingInboundClient(options.Value, new EslSubscription(EslEventFormat.Json, ChannelEvents), loggerFactory);
        _logger = logger;
    }

    public EslReconnectingInboundClient Client => _client;

    public long EventsReceived { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var run = _client.RunAsync(stoppingToken);
        try
        {
            await foreach (var signal in _client.ReadSignalsAsync(stoppingToken).ConfigureAwait(false))
            {
                switch (signal)
                {
                    case EslInboundSignal.Connected connected:
                        LogConnected(_logger, connected.Generation, connected.IsReconnect);
                        break;
                    case EslInboundSignal.Received:
                        EventsReceived++;
                        break;
                    case EslInboundSignal.Disconnected lost:
                        LogDisconnected(_logger, lost.Generation, lost.Reason);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await run.ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Following channel events (connection generation {Generation}, reconnect {IsReconnect})")]
    private static partial void LogConnected(ILogger logger, int generation, bool isReconnect);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Channel event feed lost (generation {Generation}): {Reason}; calls in progress continue")]
    private static partial void LogDisconnected(ILogger logger, int generation, string reason);
}
