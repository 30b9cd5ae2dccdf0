using System.Net;
using System.Text.Json;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Calls;
using EslCallflow.Configuration;
using EslCallflow.Metrics;
using EslCallflow.Records;
using EslCallflow.Delivery;
using EslCallflow.GroupState;
using EslCallflow.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Operations;

/// <summary>
/// A small Kestrel app beside the daemon: /healthz (200 only while the channel feed is up and the call
/// listener accepts), /metrics (Prometheus text), /channels (calls ringing now, per device) and POST /reload.
/// </summary>
public sealed partial class HttpEndpointService : IHostedService, IAsyncDisposable
{
    private readonly HttpEndpointOptions _options;
    private readonly InboundConnectionService _inbound;
    private readonly OutboundCallService _outbound;
    private readonly ChannelTracker _tracker;
    private readonly CallflowConfigurationStore _store;
    private readonly DaemonMetrics _metrics;
    private readonly CallRecords _records;
    private readonly DeliveryMetrics _delivery;
    private readonly IRingGroupState _ringGroups;
    private readonly Dialplan.DialplanMetrics _dialplan;
    private readonly Dialplan.DialplanCalls _dialplanCalls;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<HttpEndpointService> _logger;
    private readonly Clustering.ClusterStatus? _cluster;
    private WebApplication? _app;

    public HttpEndpointService(
        IOptions<HttpEndpointOptions> options,
        InboundConnectionService inbound,
        OutboundCallService outbound,
        ChannelTracker tracker,
        CallflowConfigurationStore store,
        DaemonMetrics metrics,
        CallRecords records,
        DeliveryMetrics delivery,
        IRingGroupState ringGroups,
        Dialplan.DialplanMetrics dialplan,
        Dialplan.DialplanCalls dialplanCalls,
        ILoggerFactory loggerFactory,
        ILogger<HttpEndpointService> logger,
        Clustering.ClusterStatus? cluster = null)
    {
        _cluster = cluster;
        _options = options.Value;
        _inbound = inbound;
        _outbound = outbound;
        _tracker = tracker;
        _store = store;
        _metrics = metrics;
        _records = records;
        _delivery = delivery;
        _ringGroups = ringGroups;
        _dialplan = dialplan;
        _dialplanCalls = dialplanCalls;
        _loggerFactory = loggerFactory;
        _logger = logger;
    }

    /// <summary>Where it listens once started (the real port when configured with port 0).</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return;
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(_loggerFactory);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(_options.Url);
        _app = builder.Build();
        _app.MapGet("/healthz", Health);
        _app.MapGet("/metrics", () => Results.Text(Metrics(), "text/plain; version=0.0.4; charset=utf-8"));
        _app.MapGet("/channels", () => Results.Text(Channels(), "application/json"));
        _app.MapGet("/calls", (HttpContext context) => Calls(context));
        _app.MapGet("/ring-groups", (Func<HttpContext, Task<IResult>>)(async context =>
            Results.Text(JsonSerializer.Serialize(await RingGroupMembers.ListAsync(_store.Current, _ringGroups, context.RequestAborted).ConfigureAwait(false)), "application/json")));
        _app.MapPost("/reload", (Func<HttpContext, Task<IResult>>)Reload);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        LogListening(_logger, Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IResult Health()
    {
        var feed = _inbound.IsConnected;
        var accepting = _outbound.Listener.IsAccepting;
        // Without the cluster store the node still rings and picks up its own calls: degraded, still serving (200).
        var store = _cluster is null ? null : _cluster.IsUp ? "up" : "down";
        var status = !(feed && accepting) ? "unhealthy" : store == "down" ? "degraded" : "ok";
        var body = store is null
            ? JsonSerializer.Serialize(new { status, channelFeed = feed ? "up" : "down", callListener = accepting ? "accepting" : "stopped" })
            : JsonSerializer.Serialize(new { status, channelFeed = feed ? "up" : "down", callListener = accepting ? "accepting" : "stopped", clusterStore = store });
        return Results.Content(body, "application/json", statusCode: feed && accepting ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary><c>GET /calls[?limit=N]</c>: the records of the calls in progress and of the last N that ended, newest first.</summary>
    private IResult Calls(HttpContext context)
    {
        var limit = int.MaxValue;
        if (context.Request.Query.TryGetValue("limit", out var values) && (!int.TryParse(values.ToString(), out limit) || limit < 0))
        {
            return Results.Json(new { error = "limit must be a whole number, 0 or more" }, statusCode: StatusCodes.Status400BadRequest);
        }
        var body = JsonSerializer.Serialize(new { in_progress = _records.InProgress(), recent = _records.Recent(limit) }, CallEventJson.Options);
        return Results.Text(body, "application/json");
    }

    private string Metrics()
    {
        var text = new System.Text.StringBuilder(DaemonMetricsText());
        _delivery.WritePrometheus(text);
        _dialplan.WritePrometheus(text, _dialplanCalls.InProgress);
        _cluster?.WritePrometheus(text);
        return text.ToString();
    }

    private string DaemonMetricsText()
    {
        var lastFullGc = LastFullGc();
        return _metrics.ToPrometheus(
        [
            ("eslcallflow_active_calls", "Calls whose outbound session is open.", _outbound.Listener.ActiveSessions),
            ("eslcallflow_tracked_channels", "Channels the tracker follows.", _tracker.Count),
            ("eslcallflow_ringing_legs", "Legs ringing now toward a phone.", _tracker.RingingCount),
            ("eslcallflow_esl_connected", "1 while the inbound event socket is up and rebuilt.", _inbound.IsConnected ? 1 : 0),
            ("process_resident_memory_bytes", "Resident memory of the daemon.", Environment.WorkingSet),
            ("dotnet_gc_heap_size_bytes", "Managed heap size after the last garbage collection.", GC.GetGCMemoryInfo().HeapSizeBytes),
            ("dotnet_gc_live_bytes_at_last_full_gc", "Bytes alive after the last gen2 collection (blocking or background): live managed memory.", lastFullGc.Index == 0 ? 0 : lastFullGc.HeapSizeBytes - lastFullGc.FragmentedBytes),
            ("dotnet_gc_promoted_bytes_at_last_full_gc", "Bytes the last gen2 collection found reachable and kept (its promoted bytes).", lastFullGc.PromotedBytes),
        ],
        [
            ("eslcallflow_esl_reconnects_total", "Inbound event socket reconnections.", _inbound.Client.ReconnectCount),
            ("eslcallflow_esl_events_received_total", "Channel events received on the inbound event socket.", _inbound.EventsReceived),
            ("dotnet_gc_gen0_collections_total", "Generation 0 garbage collections.", GC.CollectionCount(0)),
            ("dotnet_gc_gen1_collections_total", "Generation 1 garbage collections.", GC.CollectionCount(1)),
            ("dotnet_gc_gen2_collections_total", "Generation 2 garbage collections.", GC.CollectionCount(2)),
            ("dotnet_gc_pause_microseconds_total", "Time the runtime was paused for garbage collection.", (long)GC.GetTotalPauseDuration().TotalMicroseconds),
            ("dotnet_allocated_bytes_total", "Managed bytes allocated since start.", GC.GetTotalAllocatedBytes()),
        ]);
    }

    private static GCMemoryInfo LastFullGc()
    {
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        return blocking.Index >= background.Index ? blocking : background;
    }

    private string Channels()
    {
        var config = _store.Current;
        var devices = _tracker.Ringing()
            .GroupBy(c => PickupPlanner.Identify(config, c.DeviceId, c.SipIdentity)?.Id ?? c.SipIdentity ?? "unknown")
            .ToDictionary(g => g.Key, g => g.Select(c => new
            {
                leg = c.Uuid,
                caller = c.OtherLeg,
                callState = c.CallState,
                sipIdentity = c.SipIdentity,
                ringingSince = c.RingingSinceMicros > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(c.RingingSinceMicros / 1000) : (DateTimeOffset?)null,
            }).ToList());
        return JsonSerializer.Serialize(new { ringing = devices.Values.Sum(l => l.Count), devices });
    }

    /// <summary>
    /// 200 applied; 409 refused because it would drop too many callflows (<c>?force=true</c> applies it anyway);
    /// 422 invalid, with every error. Requests close together share one reload and its answer.
    /// </summary>
    private async Task<IResult> Reload(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        var force = false;
        if (context.Request.Query.TryGetValue("force", out var forceValues) && !bool.TryParse(forceValues.ToString(), out force))
        {
            return Results.Json(new { reloaded = false, error = "force must be true or false" }, statusCode: StatusCodes.Status400BadRequest);
        }
        var outcome = await _store.ReloadAsync("HTTP POST /reload", force, context.RequestAborted).ConfigureAwait(false);
        return outcome.Status switch
        {
            ReloadStatus.Applied => Results.Json(new { reloaded = true, callflows = outcome.Callflows }),
            ReloadStatus.Refused => Results.Json(new { reloaded = false, refused = outcome.Refusal }, statusCode: StatusCodes.Status409Conflict),
            _ => Results.Json(new { reloaded = false, errors = outcome.Errors.Select(e => e.ToString()) }, statusCode: StatusCodes.Status422UnprocessableEntity),
        };
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Operator endpoint on {Address}: /healthz /metrics /channels /calls /ring-groups, POST /reload")]
    private static partial void LogListening(ILogger logger, Uri address);
}
