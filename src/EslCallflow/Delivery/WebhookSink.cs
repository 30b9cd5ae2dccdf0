using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace EslCallflow.Delivery;

/// <summary>
/// POSTs an event to a webhook: the event JSON (plus the hook's custom data), signed with HMAC-SHA256 of the body
/// (<see cref="WebhookSignature"/>), with the event's type and id in headers. 2xx is delivered; 408, 429, 5xx and
/// no answer are worth retrying; any other status is a refusal. Redirects are not followed.
/// </summary>
public sealed class WebhookSink(HttpClient http, WebhookOptions hook) : IEventSink
{
    public const string EventHeader = "X-Eslcallflow-Event";
    public const string EventIdHeader = "X-Eslcallflow-Event-Id";
    private readonly Uri _url = new(hook.Url);

    public async Task<DeliveryAttempt> SendAsync(SpooledEvent evt, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(CallEventJson.WebhookBody(evt.Json, hook.CustomData));
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(hook.Secret, body));
        request.Headers.Add(EventHeader, evt.Type);
        request.Headers.Add(EventIdHeader, evt.Id);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => DeliveryAttempt.Delivered,
                (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500 => DeliveryAttempt.Transient($"HTTP {status}"),
                _ => DeliveryAttempt.Rejected($"HTTP {status}"),
            };
        }
        catch (HttpRequestException ex)
        {
            return DeliveryAttempt.Transient(ex.HttpRequestError.ToString());
        }
    }
}
