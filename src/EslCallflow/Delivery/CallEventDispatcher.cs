using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Delivery;

/// <summary>
/// Takes call events off the call path (a non-blocking hand-over) and gets them to every destination that wants
/// them: each enabled webhook, and FreeSWITCH's event socket. Its <see cref="SpoolWriter"/> thread turns each event
/// into its JSON once and spools it for each destination. Each destination has its own spool
/// (<c>&lt;StatePath&gt;/spool/&lt;name&gt;</c>) and its own workers, so a hook that is down delays nothing but itself. Started before the call listener and stopped after it has drained,
/// so the last calls' events are spooled before the process ends; events read back from the spools at start go
/// out first. Spools no configured destination reads any more are moved aside first (<see cref="OrphanedSpools"/>).
/// </summary>
public sealed partial class CallEventDispatcher : IHostedService, IAsyncDisposable
{
    private readonly DeliveryOptions _options;
    private readonly DaemonOptions _daemon;
    private readonly IFreeSwitchEventPublisher _freeSwitch;
    private readonly DeliveryMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<CallEventDispatcher> _logger;
    private readonly CancellationTokenSource _stopWorkers = new();
    private readonly List<DeliveryBacklog> _queues = [];
    private readonly List<IDisposable> _files = [];
    private readonly SpoolWriter _spoolWriter;
    private HttpClient? _http;
    private Task _workers = Task.CompletedTask;

    public CallEventDispatcher(IOptions<DeliveryOptions> options, IOptions<DaemonOptions> daemon, IFreeSwitchEventPublisher freeSwitch, DeliveryMetrics metrics,
        TimeProvider time, ILoggerFactory loggerFactory, ILogger<CallEventDispatcher> logger)
    {
        _options = options.Value;
        _daemon = daemon.Value;
        _freeSwitch = freeSwitch;
        _metrics = metrics;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = logger;
        _spoolWriter = new SpoolWriter(_queues, _options.SpoolGatherWindow, logger);
    }

    public IReadOnlyList<DeliveryBacklog> Queues => _queues;

    /// <summary>From the call path: never blocks. Should the hand-over be full, the event is counted and logged.</summary>
    public void Enqueue(IOutgoingEvent evt)
    {
        // No webhook and no CUSTOM event (the default): nothing would read it, so the spool thread is not woken to
        // turn it into JSON for nobody. The destinations are all added by StartAsync, before the first call.
        if (_queues.Count == 0)
        {
            return;
        }
        if (!_spoolWriter.TryHandOver(evt))
        {
            _metrics.Failed("dispatcher", "dispatcher_behind");
            LogHandOffFull(_logger, evt.CallUuid, evt.Type, SpoolWriter.HandOverCapacity);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var spoolRoot = Path.Combine(_daemon.ResolvedStatePath, "spool");
        var queueLogger = _loggerFactory.CreateLogger<DeliveryBacklog>();
        var hooks = _options.Webhooks.Where(h => h.Enabled).ToList();
        OrphanedSpools.Handle(_daemon.ResolvedStatePath,
            _options.Webhooks.Select(h => h.Name).Append(DeliveryOptions.FreeSwitchDestination).ToHashSet(StringComparer.Ordinal),
            hooks.Select(h => h.Name).Concat(_options.FreeSwitchEvents ? [DeliveryOptions.FreeSwitchDestination] : []).ToHashSet(StringComparer.Ordinal),
            _time, _loggerFactory.CreateLogger(typeof(OrphanedSpools)));
        if (hooks.Count > 0)
        {
            // Redirects are not followed (a hook's URL is what it is); attempts are bounded by the hook's own timeout.
            _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
        }
        foreach (var hook in hooks)
        {
            AddQueue(spoolRoot, hook.Name, hook.Wants, new WebhookSink(_http!, hook), DeliveryPolicy.For(hook), queueLogger);
            // Never the query nor user info: either may hold a token.
            var url = new Uri(hook.Url);
            LogHook(_logger, hook.Name, $"{url.Scheme}://{url.Authority}{url.AbsolutePath}", hook.Events.Count == 0 ? "all" : string.Join(',', hook.Events));
        }
        if (_options.FreeSwitchEvents)
        {
            AddQueue(spoolRoot, DeliveryOptions.FreeSwitchDestination, static _ => true, new FreeSwitchEventSink(_freeSwitch, _options.FreeSwitchEventHeaders), DeliveryPolicy.FreeSwitch, queueLogger);
            LogFreeSwitchEventsOn(_logger, _options.FreeSwitchEventHeaders);
        }
        else
        {
            LogFreeSwitchEventsOff(_logger);
        }
        if (_queues.Count > 0)
        {
            _spoolWriter.Start();
        }
        _workers = Task.WhenAll(_queues.Select(q => q.RunAsync(_stopWorkers.Token)));
        return Task.CompletedTask;
    }

    /// <summary>Spools what the last calls said, then stops delivering; what is undelivered waits in the spools.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _spoolWriter.Complete();
        try
        {
            await _spoolWriter.Stopped.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _stopWorkers.CancelAsync().ConfigureAwait(false);
            try
            {
                await _workers.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                foreach (var file in _files)
                {
                    file.Dispose();
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _http?.Dispose();
        _stopWorkers.Dispose();
        _spoolWriter.Dispose();
        return ValueTask.CompletedTask;
    }

    private void AddQueue(string spoolRoot, string name, Func<string, bool> wants, IEventSink sink, DeliveryPolicy policy, ILogger logger)
    {
        var folder = Path.Combine(spoolRoot, name);
        EventSpool spool;
        IReadOnlyList<(string RecordId, SpoolEntry At)> pending = [];
        try
        {
            spool = EventSpool.Open(folder, out pending, out var unreadable);
            if (unreadable > 0)
            {
                LogUnreadable(_logger, name, unreadable, folder);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Calls never depend on their records: without a usable state folder the daemon still starts.
            LogSpoolUnavailable(_logger, name, folder, ex.Message);
            spool = EventSpool.InMemory();
        }
        var failed = new FailedEventLog(folder, _options.MaxFailedFileBytes, _time);
        _files.Add(spool);
        _files.Add(failed);
        _queues.Add(new DeliveryBacklog(name, wants, sink, policy, spool, pending, failed, _metrics, _options.MaxPendingEvents, _options.MaxEventAge, _time, logger));
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Webhook {Hook}: {Url}, events {Events}")]
    private static partial void LogHook(ILogger logger, string hook, string url, string events);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Information, Message = "FreeSWITCH CUSTOM eslcallflow::call events on, headers {Headers}")]
    private static partial void LogFreeSwitchEventsOn(ILogger logger, FreeSwitchEventHeaderSet headers);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Information, Message = "FreeSWITCH CUSTOM eslcallflow::call events off (set CallRecords:FreeSwitchEvents=true for ESL consumers that follow them)")]
    private static partial void LogFreeSwitchEventsOff(ILogger logger);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Error, Message = "Call {CallUuid}: event {EventType} not sent anywhere: the spool is stopped or {Capacity} events are waiting for it")]
    private static partial void LogHandOffFull(ILogger logger, string callUuid, string eventType, int capacity);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Warning, Message = "Call event spool of {Destination}: {Count} unreadable line(s) left out in {Folder} (cut by a crash while written)")]
    private static partial void LogUnreadable(ILogger logger, string destination, int count, string folder);

    [LoggerMessage(EventId = 7014, Level = LogLevel.Error, Message = "Call event spool of {Destination} unavailable in {Folder} ({Reason}): its events are kept in memory only and a restart loses those not yet delivered; set EslCallflow:StatePath to a writable folder")]
    private static partial void LogSpoolUnavailable(ILogger logger, string destination, string folder, string reason);
}
