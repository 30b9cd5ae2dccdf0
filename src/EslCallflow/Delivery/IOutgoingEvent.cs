namespace EslCallflow.Delivery;

/// <summary>
/// An event handed to delivery from the call path. It becomes its JSON on the spool's thread
/// (<see cref="SpoolWriter"/>), never on the call's.
/// </summary>
public interface IOutgoingEvent
{
    string CallUuid { get; }

    /// <summary>The event's type, which destinations subscribe to (<c>call.answered</c>).</summary>
    string Type { get; }

    /// <summary>The event's identity and JSON, the same bytes every time it is sent (see <see cref="CallEventJson"/>).</summary>
    SpooledEvent ToSpooled();
}
