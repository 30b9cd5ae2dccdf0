namespace EslCallflow.Records;

/// <summary>
/// One event of a call's record: its type, the record as it stood, and a sequence number that counts the record's
/// events from 1. <see cref="Id"/> (record id and sequence) is the same every time the event is delivered, after a
/// restart too, so a receiver can drop a repeat (delivery is at least once).
/// </summary>
public sealed record CallEvent(string Type, long Sequence, DateTimeOffset OccurredAt, CallRecord Record)
{
    public string Id => $"{Record.RecordId}-{Sequence}";

    public string RecordId => Record.RecordId;

    public string CallUuid => Record.CallUuid;
}
