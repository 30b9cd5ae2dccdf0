using System.ComponentModel.DataAnnotations;
using System.Net;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Outbound;

/// <summary>Where the daemon listens for FreeSWITCH's <c>socket</c> dialplan application, and who may connect.</summary>
public sealed class EslOutboundListenerOptions : IValidatableObject
{
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    [Range(0, 65535)]
    public int Port { get; set; } = 8084;

    /// <summary>Addresses or CIDR ranges allowed to connect. Anyone else is closed at once and logged.</summary>
    public List<string> AllowedPeers { get; set; } = ["127.0.0.0/8", "::1/128"];

    /// <summary>How long FreeSWITCH has to answer <c>connect</c>, <c>myevents</c> and <c>linger</c>.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Keep the socket after hangup so the last events (and execute completions) still arrive.</summary>
    public bool Linger { get; set; } = true;

    public EslEventFormat EventFormat { get; set; } = EslEventFormat.Json;

    [Range(16, 1_000_000)]
    public int EventQueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Event names a session receives (a <c>filter</c> after <c>myevents</c>); empty: every event of the
    /// channel. The default is what sessions act on: completions, answer, bridge, hangup.
    /// </summary>
    public string[] SessionEvents { get; set; } = [.. EslOutboundSession.SessionEvents];

    public EslFrameLimits Limits { get; set; } = EslFrameLimits.Default;

    /// <summary>
    /// A reply resumes the session's handler on the session's own read loop instead of queueing it to the
    /// thread pool: one hop less per command, which under load was the largest wait between a call's connect
    /// reply and its decision. Only for handlers that are async all the way: one that blocks on a task
    /// (<c>.Result</c>, <c>.Wait()</c>) would stop the very loop that must deliver its reply.
    /// </summary>
    public bool ResumeHandlersOnReadLoop { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(Address, out _))
        {
            yield return new ValidationResult($"Address '{Address}' is not an IP address", [nameof(Address)]);
        }
        foreach (var peer in AllowedPeers)
        {
            if (!PeerAllowList.TryParseEntry(peer, out _))
            {
                yield return new ValidationResult($"AllowedPeers entry '{peer}' is neither an IP address nor a CIDR range", [nameof(AllowedPeers)]);
            }
        }
    }
}
