namespace EslCallflow.Delivery;

/// <summary>How patiently a destination is delivered to: one attempt's limit, retries with backoff, parallel calls.</summary>
public sealed record DeliveryPolicy(TimeSpan Timeout, int Retries, TimeSpan RetryDelay, TimeSpan MaxRetryDelay, int Concurrency)
{
    public static DeliveryPolicy For(WebhookOptions hook) => new(hook.Timeout, hook.Retries, hook.RetryDelay, hook.MaxRetryDelay, hook.MaxConcurrency);

    /// <summary>The event socket: one at a time (a local socket, in order), patient while the link is down.</summary>
    public static readonly DeliveryPolicy FreeSwitch = new(TimeSpan.FromSeconds(5), 3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 1);
}
