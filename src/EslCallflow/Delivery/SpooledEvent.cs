namespace EslCallflow.Delivery;

/// <summary>An event about to be spooled or sent: its identity and its JSON (the same bytes every time it is sent).</summary>
public sealed record SpooledEvent(string Id, string RecordId, string CallUuid, string Type, DateTimeOffset OccurredAt, string Json);
