using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>One call event as the receiver got it.</summary>
public sealed record ReceivedEvent(string Id, string Type, string RecordId, string CallUuid, string? Number, string? Outcome, TimeSpan At);

/// <summary>
/// A webhook receiver of the test's own, as a CRM would run one: HTTP on loopback, each POST's
/// <c>X-Eslcallflow-Signature</c> checked against the shared secret (README, "Webhooks") before the body is read,
/// 200 for a good one (the daemon's delivery is done), 401 for a bad one (counted: the daemon gives such an event up).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly byte[] _secret;
    private readonly List<ReceivedEvent> _events = [];
    private readonly Task _loop;
    private int _badSignatures;

    public WebhookReceiver()
    {
        Secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _secret = Encoding.UTF8.GetBytes(Secret);
        var port = FreePorts.Next();
        Url = $"http://127.0.0.1:{port}/eslcallflow/events";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public string Url { get; }
    public string Secret { get; }
    public int BadSignatures => Volatile.Read(ref _badSignatures);

    /// <summary>The daemon settings that point a webhook named <paramref name="name"/>, every event type, at this receiver.</summary>
    public IReadOnlyDictionary<string, string> Settings(string name) => new Dictionary<string, string>
    {
        ["CallRecords:Webhooks:0:Name"] = name,
        ["CallRecords:Webhooks:0:Enabled"] = "true",
        ["CallRecords:Webhooks:0:Url"] = Url,
        ["CallRecords:Webhooks:0:Secret"] = Secret,
    };

    public IReadOnlyList<ReceivedEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            // The daemon sends up to MaxConcurrency events at once; each is answered on its own.
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var at = SipClock.Now;
        using var buffer = new MemoryStream();
        try
        {
            await context.Request.InputStream.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(_secret, body));
            var header = context.Request.Headers["X-Eslcallflow-Signature"] ?? string.Empty;
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(header)))
            {
                Interlocked.Increment(ref _badSignatures);
                context.Response.StatusCode = 401;
                return;
            }
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var record = root.GetProperty("record");
            var received = new ReceivedEvent(
                root.GetProperty("id").GetString()!,
                root.GetProperty("type").GetString()!,
                root.GetProperty("record_id").GetString()!,
                root.GetProperty("call_uuid").GetString()!,
                record.TryGetProperty("number", out var number) ? number.GetString() : null,
                record.TryGetProperty("outcome", out var outcome) ? outcome.GetString() : null,
                at);
            lock (_events)
            {
                _events.Add(received);
            }
            context.Response.StatusCode = 200;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or HttpListenerException or IOException)
        {
            // Not an event this receiver understands: a refusal, which the daemon does not retry; the test then misses it.
            context.Response.StatusCode = 400;
        }
        finally
        {
            try
            {
                context.Response.Close();
            }
            catch (HttpListenerException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
