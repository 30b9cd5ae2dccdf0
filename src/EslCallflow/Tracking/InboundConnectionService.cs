using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Delivery;
using EslCallflow.Esl;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Messages;
using EslCallflow.Tracking;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Tracking;

/// <summary>
/// Keeps the inbound event-socket connection to FreeSWITCH alive (reconnecting forever with backoff) and
/// feeds the channel tracker: after every (re)connect it rebuilds the tracker from the switch, then applies
/// events in order. Calls in progress never depend on this link, so losing it drops no call. Call events
/// for FreeSWITCH go out on it too.
/// </summary>
public sealed partial class InboundConnectionService : BackgroundService, IFreeSwitchEventPublisher, ISwitchApi
{
    public static readonly string[] ChannelEvents =
    [
        "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_CALLSTATE",
        "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "BACKGROUND_JOB",
    ];

    private readonly EslReconnectingInboundClient _client;
    private readonly ChannelTracker _tracker;
    private readonly TrackingOptions _tracking;
    private readonly ILogger<InboundConnectionService> _logger;
    private long _eventsReceived;
    private int _connected;

    public InboundConnectionService(
        IOptions<EslInboundOptions> options,
        IOptions<TrackingOptions> tracking,
        ChannelTracker tracker,
        ILoggerFactory loggerFactory,
        ILogger<InboundConnectionService> logger)
    {
        _client = new EslReconnectingInboundClient(options.Value, new EslSubscription(EslEventFormat.Json, ChannelEvents) { EventHeaders = ChannelTracker.HeadersRead }, loggerFactory);
        _tracker = tracker;
        _tracking = tracking.Value;
        _logger = logger;
    }

    public EslReconnectingInboundClient Client => _client;

    public long EventsReceived => Interlocked.Read(ref _eventsReceived);

    public Task<string> ApiAsync(string command, CancellationToken cancellationToken) =>
        _client.Current is { IsConnected: true } client
            ? client.ApiAsync(command, cancellationToken)
            : throw new EslConnectionClosedException("the channel feed's connection to FreeSWITCH is down");

    public Task SendEventAsync(string eventName, Guid notAChannel, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken) =>
        _client.Current is { IsConnected: true } client
            ? client.SendEventWithIdAsync(eventName, notAChannel, headers, cancellationToken)
            : throw new EslConnectionClosedException("the channel feed's connection to FreeSWITCH is down");

    /// <summary>True while logged in, subscribed and rebuilt from the switch.</summary>
    public bool IsConnected => Volatile.Read(ref _connected) == 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var run = _client.RunAsync(stoppingToken);
        var reaper = ReapAsync(stoppingToken);
        try
        {
            await foreach (var signal in _client.ReadSignalsAsync(stoppingToken).ConfigureAwait(false))
            {
                switch (signal)
                {
                    case { Connected: { } client }:
                        LogConnected(_logger, signal.Generation, signal.IsReconnect);
                        await ResyncAsync(client, stoppingToken).ConfigureAwait(false);
                        Volatile.Write(ref _connected, 1);
                        break;
                    case { Event: { } evt }:
                        Interlocked.Increment(ref _eventsReceived);
                        Apply(evt);
                        break;
                    case { Disconnected: { } reason }:
                        Volatile.Write(ref _connected, 0);
                        LogDisconnected(_logger, signal.Generation, reason);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await run.ConfigureAwait(false);
        await reaper.ConfigureAwait(false);
    }

    public async Task<DeliveryAttempt> PublishCustomAsync(IReadOnlyList<KeyValuePair<string, string>> headers, string body, CancellationToken cancellationToken)
    {
        if (!IsConnected || _client.Current is not { IsConnected: true } client)
        {
            return DeliveryAttempt.Transient("event socket down");
        }
        try
        {
            await client.SendEventAsync("CUSTOM", headers, body, cancellationToken).ConfigureAwait(false);
            return DeliveryAttempt.Delivered;
        }
        catch (EslConnectionClosedException ex)
        {
            return DeliveryAttempt.Transient(ex.Message);
        }
        catch (EslCommandException ex)
        {
            return DeliveryAttempt.Rejected(ex.Message);
        }
    }

    /// <summary>
    /// Rebuilds the tracker from <c>show channels as json</c>; ringing legs are asked for our device variable,
    /// which the listing does not carry. Events queued meanwhile are applied afterwards, so nothing is lost.
    /// </summary>
    private async Task ResyncAsync(EslInboundClient client, CancellationToken stoppingToken)
    {
        try
        {
            var seeds = ChannelSnapshot.Parse(await client.ApiAsync("show channels as json", stoppingToken).ConfigureAwait(false), out var skipped);
            if (skipped > 0)
            {
                LogRowsSkipped(_logger, skipped);
            }
            var withDevices = new List<ChannelSeed>(seeds.Count);
            foreach (var seed in seeds)
            {
                withDevices.Add(seed is { Outbound: true, Answered: false, CallState: "RINGING" or "EARLY" } && PickupPlanner.IsSafeUuid(seed.Uuid)
                    ? seed with { DeviceId = DeviceVariable(await client.ApiAsync($"uuid_getvar {seed.Uuid} {DialString.DeviceVariable}", stoppingToken).ConfigureAwait(false)) }
                    : seed);
            }
            _tracker.Reset(withDevices);
            LogResynced(_logger, withDevices.Count, _tracker.RingingCount);
        }
        catch (Exception ex) when (ex is FormatException or EslCommandException or EslConnectionClosedException)
        {
            LogResyncFailed(_logger, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Whatever else went wrong stays here: the feed goes on with events only, as for the expected failures.
            LogResyncFaulted(_logger, ex, ex.Message);
        }
    }

    /// <summary>
    /// One event into the tracker. Should applying it fail, that event alone is dropped and logged; the feed,
    /// and every call that does not depend on it, go on.
    /// </summary>
    internal void Apply(EslEvent evt)
    {
        try
        {
            _tracker.Apply(evt);
        }
        catch (Exception ex)
        {
            LogEventDropped(_logger, ex, SafeHeader(() => evt.EventName), SafeHeader(() => evt.UniqueId), ex.Message);
        }
    }

    private static string SafeHeader(Func<string?> read)
    {
        try
        {
            return read() ?? "-";
        }
        catch (Exception)
        {
            return "(unreadable)";
        }
    }

    private async Task ReapAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_tracking.ReapInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_tracker.Reap(_tracking.RingingStaleAfter, _tracking.ChannelStaleAfter) is > 0 and var reaped)
                {
                    LogReaped(_logger, reaped);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string? DeviceVariable(string reply)
    {
        var value = reply.Trim();
        return value.Length == 0 || value == "_undef_" || value.StartsWith("-ERR", StringComparison.Ordinal) ? null : value;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Following channel events (connection generation {Generation}, reconnect {IsReconnect})")]
    private static partial void LogConnected(ILogger logger, int generation, bool isReconnect);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Channel event feed lost (generation {Generation}): {Reason}; calls in progress continue")]
    private static partial void LogDisconnected(ILogger logger, int generation, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Channel state rebuilt from the switch: {Channels} channels, {Ringing} ringing")]
    private static partial void LogResynced(ILogger logger, int channels, int ringing);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Could not rebuild channel state from the switch ({Reason}); following events only")]
    private static partial void LogResyncFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Channel list from the switch: left out {Skipped} row(s) that are not channel objects")]
    private static partial void LogRowsSkipped(ILogger logger, int skipped);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "Could not rebuild channel state from the switch ({Reason}); following events only")]
    private static partial void LogResyncFaulted(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Error, Message = "Channel event {EventName} for {ChannelUuid} dropped: applying it failed ({Reason}); the feed goes on")]
    private static partial void LogEventDropped(ILogger logger, Exception exception, string eventName, string channelUuid, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Dropped {Reaped} silent channel(s) from the tracker (their end was never seen)")]
    private static partial void LogReaped(ILogger logger, int reaped);
}
