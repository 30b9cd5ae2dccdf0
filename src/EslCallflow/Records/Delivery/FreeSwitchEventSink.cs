using EslCallflow.Esl;
using EslCallflow.Hosting;

namespace EslCallflow.Records.Delivery;

/// <summary>
/// Fires each event on FreeSWITCH as <c>CUSTOM eslcallflow::call</c> (its key fields or the whole record as headers,
/// see <see cref="FreeSwitchEventHeaders"/>; the event JSON as body) through the daemon's inbound connection, so any event-socket consumer can follow calls. While that link
/// is down the events wait (a transient failure), in the spool.
/// </summary>
public sealed class FreeSwitchEventSink(InboundConnectionService inbound, FreeSwitchEventHeaderSet headers) : IEventSink
{
    public async Task<DeliveryAttempt> SendAsync(SpooledEvent evt, CancellationToken cancellationToken)
    {
        if (!inbound.IsConnected || inbound.Client.Current is not { IsConnected: true } client)
        {
            return DeliveryAttempt.Transient("event socket down");
        }
        try
        {
            await client.SendEventAsync("CUSTOM", FreeSwitchEventHeaders.From(evt.Json, headers), evt.Json, cancellationToken).ConfigureAwait(false);
            return DeliveryAttempt.Delivered;
        }
        catch (EslConnectionClosedException ex)
        {
            return DeliveryAttempt.Transient(ex.Message);
        }
        catch (EslCommandException ex)
        {
            return DeliveryAttempt.Rejected(ex.Message);
        }
    }
}
