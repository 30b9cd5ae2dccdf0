using System.Text.Json;
using EslCallflow.Delivery;

namespace EslCallflow.Records;

/// <summary>
/// One event of a call's record: its type, the record as it stood, and a sequence number that counts the record's
/// events from 1. <see cref="Id"/> (record id and sequence) is the same every time the event is delivered, after a
/// restart too, so a receiver can drop a repeat (delivery is at least once).
/// </summary>
public sealed record CallEvent(string Type, long Sequence, DateTimeOffset OccurredAt, CallRecord Record) : IOutgoingEvent
{
    public string Id => $"{Record.RecordId}-{Sequence}";

    public string RecordId => Record.RecordId;

    public string CallUuid => Record.CallUuid;

    /// <summary><c>{"id","type","record_id","sequence","call_uuid","occurred_at","record":{...}}</c>, in <see cref="CallEventJson.Options"/>.</summary>
    public SpooledEvent ToSpooled()
    {
        var json = JsonSerializer.Serialize(new Envelope(Id, Type, RecordId, Sequence, CallUuid, OccurredAt, Record), CallEventJson.Options);
        return new SpooledEvent(Id, RecordId, CallUuid, Type, OccurredAt, json);
    }

    private sealed record Envelope(string Id, string Type, string RecordId, long Sequence, string CallUuid, DateTimeOffset OccurredAt, CallRecord Record);
}
