using System.ComponentModel.DataAnnotations;

namespace EslCallflow.Tracking;

/// <summary>How the channel tracker keeps itself bounded (section <c>Tracking</c>).</summary>
public sealed class TrackingOptions
{
    public const string Section = "Tracking";

    /// <summary>A ringing leg with no event for this long is dropped (its end was lost). Longer than any ring timeout.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan RingingStaleAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Any channel with no event for this long is dropped.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan ChannelStaleAfter { get; set; } = TimeSpan.FromHours(12);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromMinutes(1);
}
