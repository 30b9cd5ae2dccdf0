namespace EslCallflow.Records.Delivery;

/// <summary>An event as it waits for a destination: its identity and its JSON (the same bytes every time it is sent).</summary>
public sealed record SpooledEvent(string Id, string RecordId, string CallUuid, string Type, DateTimeOffset OccurredAt, string Json)
{
    /// <summary>The spool segment it is written in (0 while only in memory).</summary>
    internal long Segment { get; set; }
}
