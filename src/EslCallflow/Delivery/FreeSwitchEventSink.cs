namespace EslCallflow.Delivery;

/// <summary>
/// Fires each event on FreeSWITCH as <c>CUSTOM eslcallflow::call</c> (its key fields or the whole record as headers,
/// see <see cref="FreeSwitchEventHeaders"/>; the event JSON as body), so any event-socket consumer can follow calls.
/// While the link is down the events wait (a transient failure), in the spool.
/// </summary>
public sealed class FreeSwitchEventSink(IFreeSwitchEventPublisher freeSwitch, FreeSwitchEventHeaderSet headers) : IEventSink
{
    public Task<DeliveryAttempt> SendAsync(SpooledEvent evt, CancellationToken cancellationToken) =>
        freeSwitch.PublishCustomAsync(FreeSwitchEventHeaders.From(evt.Json, headers), evt.Json, cancellationToken);
}
