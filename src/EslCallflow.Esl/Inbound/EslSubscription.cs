namespace EslCallflow.Esl.Inbound;

/// <summary>
/// What to receive, and how: the event names and format, filters, and the headers read. Applied with
/// <see cref="EslInboundClient.SubscribeAsync(EslSubscription, CancellationToken)"/>, and again after every reconnect
/// by <see cref="EslReconnectingInboundClient"/>.
/// </summary>
public sealed record EslSubscription(EslEventFormat Format, IReadOnlyList<string> EventNames)
{
    public IReadOnlyList<KeyValuePair<string, string>> Filters { get; init; } = [];

    /// <summary>
    /// The only event headers the consumer reads; null keeps all. Events then keep only these (and those the
    /// connection routes on: Event-Name, Event-Subclass, Unique-ID, Job-UUID, Application-UUID) and their body, each
    /// decoded straight from the socket buffer: a ~6 KB CHANNEL_* event costs a few hundred bytes instead of a
    /// copy of itself. For consumers that know what they read, like a channel tracker on a busy feed.
    /// </summary>
    public IReadOnlyList<string>? EventHeaders { get; init; }
}
