using System.ComponentModel.DataAnnotations;

namespace EslCallflow.Operations;

/// <summary>The operator's HTTP endpoint (section <c>Http</c>): /healthz, /metrics, /channels, POST /reload.</summary>
public sealed class HttpEndpointOptions : IValidatableObject
{
    public const string Section = "Http";

    public bool Enabled { get; set; } = true;

    /// <summary>Loopback by default: the endpoint has no authentication. Port 0 picks a free port.</summary>
    [Required]
    public string Url { get; set; } = "http://127.0.0.1:8088";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            yield return new ValidationResult($"Http:Url '{Url}' must be an http URL with no path, like http://127.0.0.1:8088", [nameof(Url)]);
        }
    }
}
