namespace EslCallflow.Delivery;

/// <summary>Which headers the CUSTOM <c>eslcallflow::call</c> event carries (<c>CallRecords:FreeSwitchEventHeaders</c>).</summary>
public enum FreeSwitchEventHeaderSet
{
    /// <summary>The fields to filter on; the record is in the JSON body.</summary>
    Keys,

    /// <summary>Every field of the record, flattened.</summary>
    Record,

    /// <summary>
    /// <c>Event-Subclass</c> alone; the event and its record are in the JSON body. The cheapest for FreeSWITCH, which
    /// reads a command's headers a byte at a time: measured on 1.10.12, 144 µs of its CPU an event against 309 µs with
    /// <see cref="Keys"/> (CustomEventCostTests, BENCHMARKS.md issue 29).
    /// </summary>
    Subclass,
}
