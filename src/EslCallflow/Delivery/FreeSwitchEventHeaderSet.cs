namespace EslCallflow.Delivery;

/// <summary>Which headers the CUSTOM <c>eslcallflow::call</c> event carries (<c>CallRecords:FreeSwitchEventHeaders</c>).</summary>
public enum FreeSwitchEventHeaderSet
{
    /// <summary>The fields to filter on; the record is in the JSON body.</summary>
    Keys,

    /// <summary>Every field of the record, flattened.</summary>
    Record,
}
