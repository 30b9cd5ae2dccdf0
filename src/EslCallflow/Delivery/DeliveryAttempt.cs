namespace EslCallflow.Delivery;

/// <summary>How one attempt to hand an event to a destination went.</summary>
public enum DeliveryStatus
{
    Delivered,
    /// <summary>Worth another try: no connection, a timeout, 5xx, 408, 429, the event socket down.</summary>
    Transient,
    /// <summary>The destination refused this event for good (a 4xx): no retry will change it.</summary>
    Rejected,
}

public readonly record struct DeliveryAttempt(DeliveryStatus Status, string Detail)
{
    public static readonly DeliveryAttempt Delivered = new(DeliveryStatus.Delivered, "ok");

    public static DeliveryAttempt Transient(string detail) => new(DeliveryStatus.Transient, detail);

    public static DeliveryAttempt Rejected(string detail) => new(DeliveryStatus.Rejected, detail);
}
