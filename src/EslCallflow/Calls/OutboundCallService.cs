using EslCallflow.Calls;
using EslCallflow.Esl.Outbound;
using EslCallflow.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Calls;

/// <summary>Listens for FreeSWITCH's <c>socket</c> application and hands every call to the <see cref="CallHandler"/>.</summary>
public sealed class OutboundCallService : IHostedService, IAsyncDisposable
{
    private readonly EslOutboundListener _listener;
    private readonly DaemonOptions _options;
    private readonly DaemonMetrics _metrics;

    public OutboundCallService(IOptions<EslOutboundListenerOptions> listenerOptions, IOptions<DaemonOptions> options, CallHandler handler, DaemonMetrics metrics, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _metrics = metrics;
        _listener = new EslOutboundListener(listenerOptions.Value, handler.HandleAsync, loggerFactory);
    }

    public EslOutboundListener Listener => _listener;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _listener.StartAsync(cancellationToken).ConfigureAwait(false);
        // Before any call can be timed: a session's first executes follow its accept and its connect round trip.
        _metrics.WatchCallListener(_listener.LocalEndPoint!.Port);
    }

    /// <summary>Stop accepting, let calls finish for DrainTimeout (or until the host's own deadline), then close the rest.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(_options.DrainTimeout);
        await _listener.StopAsync(drain.Token).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
