using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EslCallflow.Delivery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Tests;

/// <summary>One POST as a webhook receiver saw it.</summary>
internal sealed record ReceivedHook(string Body, string? Signature, string? EventType, string? EventId)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string Type => Json.GetProperty("type").GetString()!;

    public string CallUuid => Json.GetProperty("call_uuid").GetString()!;

    public long Sequence => Json.GetProperty("sequence").GetInt64();

    public string Id => Json.GetProperty("id").GetString()!;

    public JsonElement Record => Json.GetProperty("record");
}

/// <summary>
/// A real HTTP receiver on loopback (Kestrel): records every POST and answers as <see cref="Respond"/> says
/// (a status, after an optional delay). It can be stopped and started again on the same port, as a receiver that
/// goes down and comes back.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedHook> _received = new();
    private WebApplication? _app;
    private int _requests;

    private WebhookReceiver(int port)
    {
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hook";

    /// <summary>Given the request's number (from 1), the status to answer and how long to wait first.</summary>
    public Func<int, (int Status, TimeSpan Delay)> Respond { get; set; } = _ => (200, TimeSpan.Zero);

    /// <summary>Requests answered 2xx, in the order they arrived.</summary>
    public IReadOnlyList<ReceivedHook> Delivered => [.. _received];

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<WebhookReceiver> StartAsync(int? port = null)
    {
        var receiver = new WebhookReceiver(port ?? FreePort());
        await receiver.StartAgainAsync();
        return receiver;
    }

    /// <summary>A port nothing listens on (for a receiver that is down from the start).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async Task StartAgainAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        var app = builder.Build();
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var (status, delay) = Respond(Interlocked.Increment(ref _requests));
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }
            if (status is >= 200 and < 300)
            {
                _received.Enqueue(new ReceivedHook(body, context.Request.Headers[WebhookSignature.Header], context.Request.Headers[WebhookSink.EventHeader], context.Request.Headers[WebhookSink.EventIdHeader]));
            }
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async Task WaitForAsync(Func<IReadOnlyList<ReceivedHook>, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (!condition(Delivered))
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"webhook receiver: condition not met; received {string.Join(", ", Delivered.Select(d => $"{d.Type}#{d.Sequence}"))}");
            }
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>Command-line settings for one webhook (CallRecords:Webhooks:N:...).</summary>
internal static class HookArgs
{
    public const string Secret = "test-hook-secret-0123456789";

    public static string[] For(string url, string name = "crm", int index = 0, params string[] extra) =>
    [
        $"--CallRecords:Webhooks:{index}:Name={name}",
        $"--CallRecords:Webhooks:{index}:Url={url}",
        $"--CallRecords:Webhooks:{index}:Secret={Secret}",
        $"--CallRecords:Webhooks:{index}:RetryDelay=00:00:00.050",
        $"--CallRecords:Webhooks:{index}:MaxRetryDelay=00:00:00.300",
        $"--CallRecords:Webhooks:{index}:Timeout=00:00:02",
        .. extra.Select(e => $"--CallRecords:Webhooks:{index}:{e}"),
    ];
}
