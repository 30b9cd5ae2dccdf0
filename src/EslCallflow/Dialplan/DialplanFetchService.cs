using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using EslCallflow.Esl.Outbound;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Dialplan;

/// <summary>
/// The endpoint mod_xml_curl posts its <c>dialplan</c> fetches to: a Kestrel listener of its own (not the operator
/// endpoint's), answering only <see cref="DialplanOptions.AllowedPeers"/> with the configured basic credentials.
/// Every fetch gets a 200 with a document, "not found" included, so FreeSWITCH logs nothing for a call that is not
/// the daemon's; a refused one gets 403 or 401, which FreeSWITCH logs before it runs its static dialplan
/// (mod_xml_curl.c <c>xml_url_fetch</c>: any status but 200 is a failed fetch).
/// </summary>
public sealed class DialplanFetchService : IHostedService, IAsyncDisposable
{
    private static readonly ReadOnlyMemory<byte> NotFound = DialplanDocument.NotFound.ToArray();
    private readonly DialplanOptions _options;
    private readonly DialplanCalls _calls;
    private readonly DialplanMetrics _metrics;
    private readonly PeerAllowList _peers;
    private readonly byte[]? _authorization;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<DialplanFetchService> _logger;
    private WebApplication? _app;

    public DialplanFetchService(IOptions<DialplanOptions> options, DialplanCalls calls, DialplanMetrics metrics, ILoggerFactory loggerFactory, ILogger<DialplanFetchService> logger)
    {
        _options = options.Value;
        _calls = calls;
        _metrics = metrics;
        _peers = new PeerAllowList(_options.EffectiveAllowedPeers);
        // What libcurl sends for gateway-credentials with auth-scheme basic (CURLOPT_USERPWD, CURLAUTH_BASIC).
        _authorization = _options.Username is { Length: > 0 } user
            ? Encoding.ASCII.GetBytes("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + _options.Password)))
            : null;
        _loggerFactory = loggerFactory;
        _logger = logger;
    }

    /// <summary>Where it listens once started (the real port when configured with port 0); null when disabled.</summary>
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
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = _options.MaxRequestBytes;
        });
        _app = builder.Build();
        _app.Run(ServeAsync);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        DialplanLog.Listening(_logger, new Uri(Address, _options.Path), string.Join(",", _options.EffectiveContexts), _authorization is null ? "off" : "on");
    }

    private async Task ServeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        var response = context.Response;
        if (Refusal(context) is { } refusal)
        {
            DialplanLog.Refused(_logger, context.Connection.RemoteIpAddress, refusal.Reason);
            response.StatusCode = refusal.Status;
            if (refusal.Status == StatusCodes.Status401Unauthorized)
            {
                response.Headers.WWWAuthenticate = "Basic realm=\"eslcallflow\"";
            }
            _metrics.Fetched("refused", Stopwatch.GetElapsedTime(started));
            return;
        }
        if (!string.Equals(request.Path.Value, _options.Path, StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "POST";
            return;
        }

        DialplanAnswer answer;
        try
        {
            answer = await _calls.AnswerAsync(await ReadFetchAsync(request, context.RequestAborted).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException)
        {
            // Larger than MaxRequestBytes, or cut short: FreeSWITCH falls back to its static dialplan.
            DialplanLog.Refused(_logger, context.Connection.RemoteIpAddress, ex.Message);
            response.StatusCode = ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
            _metrics.Fetched("refused", Stopwatch.GetElapsedTime(started));
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DialplanLog.FetchFailed(_logger, ex, ex.Message);
            answer = DialplanAnswer.NotFound("error");
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/xml";
        var body = answer.Xml is null ? NotFound : Encoding.UTF8.GetBytes(answer.Xml);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        await response.CompleteAsync().ConfigureAwait(false);
        _metrics.Fetched(answer.Result, Stopwatch.GetElapsedTime(started));
        _calls.Sent(answer);
    }

    private static async Task<DialplanFetch> ReadFetchAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted)
            {
                var fetch = DialplanFetch.Parse(read.Buffer);
                reader.AdvanceTo(read.Buffer.End);
                return fetch;
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>Why a fetch is not answered: a peer not allowed (403), or credentials missing or wrong (401).</summary>
    private (int Status, string Reason)? Refusal(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } peer || !_peers.IsAllowed(peer))
        {
            return (StatusCodes.Status403Forbidden, "peer not in Dialplan:AllowedPeers");
        }
        if (_authorization is null)
        {
            return null;
        }
        var header = context.Request.Headers.Authorization.ToString();
        Span<byte> given = stackalloc byte[Math.Min(header.Length, 512)];
        var written = header.Length <= given.Length ? Encoding.ASCII.GetBytes(header, given) : 0;
        return CryptographicOperations.FixedTimeEquals(given[..written], _authorization)
            ? null
            : (StatusCodes.Status401Unauthorized, header.Length == 0 ? "no credentials" : "wrong credentials");
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
}
