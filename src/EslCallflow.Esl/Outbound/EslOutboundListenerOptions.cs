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
    /// channel. The default is what sessions act on: completions, answer, bridge, hangup. FreeSWITCH sends a channel
    /// dozens of other events (EXECUTE, STATE, CALLSTATE, PROGRESS, ...); filtering them at the switch spares
    /// decoding about 6 KB of json each.
    /// </summary>
    public string[] SessionEvents { get; set; } =
        ["CHANNEL_EXECUTE_COMPLETE", "CHANNEL_ANSWER", "CHANNEL_BRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"];

    /// <summary>
    /// Bounds on one session's frames, so on what one peer can make the daemon buffer. A call session receives its
    /// channel data (a header block of a few KB) and its own events (json, ~6 KB): 1 MB of body is ample, where the
    /// inbound feed's 16 MB (a whole <c>show channels</c>) let twenty rogue sessions hold 300 MB.
    /// </summary>
    public EslFrameLimits Limits { get; set; } = new() { MaxBodyBytes = 1024 * 1024 };

    /// <summary>
    /// Most sessions open at once (handshake included). A connection beyond it is closed as it arrives, logged and
    /// counted; FreeSWITCH's <c>socket</c> application then fails and the dialplan goes on after it.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxSessions { get; set; } = 2000;

    /// <summary>
    /// A session with no call activity this long is closed (logged, counted); zero turns it off. No call activity:
    /// no command sent and no whole frame received (a frame dripped a byte at a time that never ends does not
    /// count), and FreeSWITCH is not running an application it accepted for this session. A bridged call
    /// is silent on the socket for as long as it lasts, but its bridge is such an application, so it is never cut.
    /// What is cut: a peer that stopped answering commands, or a session whose handler waits on nothing from the
    /// switch. A peer that acknowledges a bridge and then stays silent looks exactly like a long call; the
    /// <see cref="MaxSessions"/> and <see cref="Limits"/> bounds are what hold it.
    /// </summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Off (the default): a command's reply resumes the handler on the thread pool. On: on the session's own read
    /// loop, one thread-pool hop less per command, which under load was the largest wait between a call's connect
    /// reply and its decision (BENCHMARKS.md, session 3). Execute completions and events resume on the thread pool
    /// either way, and so does a reply failed because the session closed.
    /// </summary>
    /// <remarks>
    /// When it is on, the handler's code from a reply's <c>await</c> to its next <c>await</c> of something not yet
    /// done runs on the read loop, and while it runs that session reads nothing: no reply, no event, no hangup.
    /// So between awaits a handler must not:
    /// <list type="bullet">
    /// <item>block on its own session (<c>.Result</c>, <c>.Wait()</c>, <c>GetAwaiter().GetResult()</c> on a
    /// session task): the reply it waits for can never be read, and the session hangs until its idle timeout or the
    /// drain closes it;</item>
    /// <item>block the thread at all (<c>Thread.Sleep</c>, a lock held long, synchronous file, network or database
    /// I/O), or compute for long: its call's replies and events wait that long.</item>
    /// </list>
    /// Only that session waits: each session has its own read loop. Handlers that are async all the way and do
    /// milliseconds of work between commands (the daemon's) lose nothing; anything else should leave this off.
    /// </remarks>
    public bool ResumeHandlersOnReadLoop { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(Address, out _))
        {
            yield return new ValidationResult($"Address '{Address}' is not an IP address", [nameof(Address)]);
        }
        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"HandshakeTimeout {HandshakeTimeout} must be positive", [nameof(HandshakeTimeout)]);
        }
        if (SessionIdleTimeout != TimeSpan.Zero && (SessionIdleTimeout < TimeSpan.FromSeconds(1) || SessionIdleTimeout > TimeSpan.FromDays(1)))
        {
            yield return new ValidationResult($"SessionIdleTimeout {SessionIdleTimeout} must be zero (off) or between 1 second and 1 day", [nameof(SessionIdleTimeout)]);
        }
        if (Limits is null || Limits.MaxBodyBytes is < 64 * 1024 or > 16 * 1024 * 1024)
        {
            yield return new ValidationResult($"Limits:MaxBodyBytes {Limits?.MaxBodyBytes} must be between 65536 and 16777216", [nameof(Limits)]);
        }
        if (Limits is null || Limits.MaxHeaderBytes is < 4 * 1024 or > 1024 * 1024)
        {
            yield return new ValidationResult($"Limits:MaxHeaderBytes {Limits?.MaxHeaderBytes} must be between 4096 and 1048576", [nameof(Limits)]);
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
