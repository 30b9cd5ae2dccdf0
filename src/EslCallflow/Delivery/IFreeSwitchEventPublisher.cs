namespace EslCallflow.Delivery;

/// <summary>Fires an event on FreeSWITCH, for its event-socket consumers: what <see cref="FreeSwitchEventSink"/> delivers through.</summary>
public interface IFreeSwitchEventPublisher
{
    /// <summary>
    /// One attempt to fire a <c>CUSTOM</c> event with these headers and body: delivered, transient (the link is
    /// down; the event waits in the spool) or rejected by FreeSWITCH.
    /// </summary>
    Task<DeliveryAttempt> PublishCustomAsync(IReadOnlyList<KeyValuePair<string, string>> headers, string body, CancellationToken cancellationToken);
}
