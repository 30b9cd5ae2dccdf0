using System.ComponentModel.DataAnnotations;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Inbound;

/// <summary>Where and how to reach FreeSWITCH's mod_event_socket.</summary>
public sealed class EslInboundOptions
{
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 8021;

    /// <summary>event_socket.conf.xml's password. From configuration or environment only; never logged.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Password { get; set; } = string.Empty;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan AuthTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>No data for this long (HEARTBEAT comes every 20 s) marks the link dead. Zero turns it off.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [Range(16, 1_000_000)]
    public int EventQueueCapacity { get; set; } = 100_000;

    /// <summary>Largest header block one frame may carry; past it the link is closed as broken.</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public int MaxHeaderBytes { get; set; } = EslFrameLimits.Default.MaxHeaderBytes;

    /// <summary>Largest frame body. A busy switch's <c>show channels as json</c> can be several MB.</summary>
    [Range(64 * 1024, 256 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = EslFrameLimits.Default.MaxBodyBytes;

    internal EslFrameLimits FrameLimits => new() { MaxHeaderBytes = MaxHeaderBytes, MaxBodyBytes = MaxBodyBytes };

    /// <summary>First retry delay; later ones double (with jitter) up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    public override string ToString() => $"{Host}:{Port}";
}
