using System.ComponentModel.DataAnnotations;
using EslCallflow.Esl.Outbound;

namespace EslCallflow.Dialplan;

/// <summary>
/// The dialplan fast path (section <c>Dialplan</c>): the endpoint FreeSWITCH's mod_xml_curl asks for each call's
/// dialplan. Its own listener, apart from the operator endpoint: loopback by default, and only
/// <see cref="AllowedPeers"/> with the <see cref="Username"/>/<see cref="Password"/> of the binding's
/// <c>gateway-credentials</c> (when set) get an answer.
/// </summary>
public sealed class DialplanOptions : IValidatableObject
{
    public const string Section = "Dialplan";

    /// <summary>The context the daemon's dialplan transfers a call into when its next step depends on a result.</summary>
    public const string NextContext = "eslcallflow-next";

    /// <summary>
    /// The number the caller dialled, set on the channel by the first XML that waits for a result: the static copy of
    /// <see cref="NextContext"/> hands the call to <c>eslcallflow_down</c> with it when the daemon does not answer the
    /// continuation (the destination is then the continuation's token, not a number).
    /// </summary>
    public const string NumberVariable = "eslcallflow_number";

    /// <summary>Serve dialplan fetches (the default: README, "Two ways in"). Off: only the outbound socket takes calls.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where mod_xml_curl posts (its <c>gateway-url</c> is this plus <see cref="Path"/>). Port 0 picks a free port.</summary>
    [Required]
    public string Url { get; set; } = "http://127.0.0.1:8089";

    /// <summary>The path mod_xml_curl's <c>gateway-url</c> names; any other path is 404.</summary>
    [RegularExpression("^/[A-Za-z0-9/_.-]{0,63}$")]
    public string Path { get; set; } = "/dialplan";

    /// <summary>
    /// Addresses or CIDR ranges whose fetches are answered; anyone else gets 403 and a warning. Empty (the default):
    /// loopback. (Empty rather than a default list: configuration binding adds to a list, it never replaces one.)
    /// </summary>
    public List<string> AllowedPeers { get; set; } = [];

    public IReadOnlyList<string> EffectiveAllowedPeers => AllowedPeers.Count > 0 ? AllowedPeers : ["127.0.0.0/8", "::1/128"];

    /// <summary>
    /// Basic authentication, as the binding's <c>gateway-credentials</c> <c>user:password</c> (with
    /// <c>auth-scheme</c> basic) sends it. Both or neither; a fetch without them, or with others, gets 401.
    /// </summary>
    public string? Username { get; set; }

    /// <summary>Never logged. Set it as <c>ESLCALLFLOW_Dialplan__Password</c> in the root-only environment file.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// The dialplan contexts whose calls may reach a callflow (a phone's <c>user_context</c>); a call hunting any
    /// other context is answered "not found" and runs the static dialplan. <see cref="NextContext"/> is always served.
    /// Empty (the default): <c>default</c>.
    /// </summary>
    public List<string> Contexts { get; set; } = [];

    public IReadOnlyList<string> EffectiveContexts => Contexts.Count > 0 ? Contexts : ["default"];

    /// <summary>A fetch body larger than this is refused (413): mod_xml_curl posts about 6 KB for a phone's call.</summary>
    [Range(4096, 16 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How long after the XML that ends a call (a response, a hangup, a missed ring group with no child) the
    /// channel feed may take to show the channel gone before the call's record ends with the cause it implies.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan EndTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            yield return new ValidationResult($"Dialplan:Url '{Url}' must be an http URL with no path, like http://127.0.0.1:8089", [nameof(Url)]);
        }
        foreach (var peer in AllowedPeers)
        {
            if (!PeerAllowList.TryParseEntry(peer, out _))
            {
                yield return new ValidationResult($"Dialplan:AllowedPeers entry '{peer}' is neither an IP address nor a CIDR range", [nameof(AllowedPeers)]);
            }
        }
        if (string.IsNullOrEmpty(Username) != string.IsNullOrEmpty(Password))
        {
            yield return new ValidationResult("Dialplan:Username and Dialplan:Password go together: set both (as the binding's gateway-credentials) or neither", [nameof(Username), nameof(Password)]);
        }
        if (Username is { Length: > 0 } user && (user.Contains(':', StringComparison.Ordinal) || user.Any(char.IsControl)))
        {
            // mod_xml_curl hands "user:password" to libcurl (CURLOPT_USERPWD), which splits it at the first ':'.
            yield return new ValidationResult("Dialplan:Username must not contain ':' or control characters", [nameof(Username)]);
        }
        if (Password is { Length: > 0 } password && (password.Length < 12 || password.Any(char.IsControl)))
        {
            yield return new ValidationResult("Dialplan:Password must be at least 12 characters, without control characters", [nameof(Password)]);
        }
        foreach (var context in Contexts)
        {
            if (!IsContextName(context) || context == NextContext)
            {
                yield return new ValidationResult($"Dialplan:Contexts entry '{context}' must be 1 to 64 letters, digits, _ . - (and not {NextContext})", [nameof(Contexts)]);
            }
        }
    }

    private static bool IsContextName(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
