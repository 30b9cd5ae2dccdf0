using System.ComponentModel.DataAnnotations;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Calls.Pickup;

/// <summary>What group_pickup answers when it cannot pick up (section <c>Pickup</c>).</summary>
public sealed class PickupOptions : IValidatableObject
{
    public const string Section = "Pickup";

    /// <summary>SIP code for a picker who is not approved (docs/behaviour.md group_pickup rule 3).</summary>
    [Range(400, 699)]
    public int RefusedCode { get; set; } = 403;

    [RegularExpression("^[A-Za-z0-9 .,'()-]{0,64}$")]
    public string RefusedReason { get; set; } = "Forbidden";

    /// <summary>SIP code when no call in scope is ringing (rule 5).</summary>
    [Range(400, 699)]
    public int NothingToPickUpCode { get; set; } = 480;

    [RegularExpression("^[A-Za-z0-9 .,'()-]{0,64}$")]
    public string NothingToPickUpReason { get; set; } = "No Call To Pick Up";

    /// <summary>SIP code when a directed pickup's digits name no extension, device or user.</summary>
    [Range(400, 699)]
    public int UnknownTargetCode { get; set; } = 404;

    [RegularExpression("^[A-Za-z0-9 .,'()-]{0,64}$")]
    public string UnknownTargetReason { get; set; } = "No Such Extension";

    /// <summary>Optional early media played before the "nothing to pick up" response (a tone, a file, a URL).</summary>
    public string? NothingToPickUpMedia { get; set; }

    /// <summary>How long after <c>intercept</c> the picker's CHANNEL_BRIDGE may take before the attempt counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan BridgeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a picked-up call may stay up after its partner hung up before the daemon checks whether FreeSWITCH left
    /// it with nobody (and then hangs it up). Normally the partner's hangup ends it within milliseconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:10")]
    public TimeSpan StrandedGrace { get; set; } = TimeSpan.FromMilliseconds(500);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (NothingToPickUpMedia is { } media && SafeText.CheckMedia(media) is { } problem)
        {
            yield return new ValidationResult($"Pickup:NothingToPickUpMedia {problem}", [nameof(NothingToPickUpMedia)]);
        }
    }
}
