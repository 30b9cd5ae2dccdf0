using System.ComponentModel.DataAnnotations;

namespace EslCallflow.Records;

/// <summary>The records kept in memory (section <c>CallRecords</c>; where their events go: <see cref="Delivery.DeliveryOptions"/>).</summary>
public sealed class CallRecordsOptions
{
    public const string Section = "CallRecords";

    /// <summary>Ended records kept for <c>GET /calls</c>.</summary>
    [Range(0, 10_000)]
    public int KeepLast { get; set; } = 100;
}
