namespace EslCallflow.Delivery;

/// <summary>Where events go: a webhook, or FreeSWITCH's event socket.</summary>
public interface IEventSink
{
    /// <summary>One attempt, bounded by <paramref name="cancellationToken"/> (the attempt's timeout).</summary>
    Task<DeliveryAttempt> SendAsync(SpooledEvent evt, CancellationToken cancellationToken);
}
