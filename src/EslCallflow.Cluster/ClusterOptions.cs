using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace EslCallflow.Cluster;

/// <summary>
/// The <c>Cluster</c> section: this node's place among several switches behind a SIP proxy, and the shared store.
/// Without the section the daemon runs alone, as it always did, and creates no Redis client.
/// </summary>
public sealed class ClusterOptions : IValidatableObject
{
    public const string Section = "Cluster";

    /// <summary>This node's name in the store; unique per FreeSWITCH node.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[A-Za-z0-9._-]{1,64}$")]
    public string NodeId { get; set; } = string.Empty;

    /// <summary>
    /// Where the proxy reaches this node's FreeSWITCH (<c>sip:10.0.0.11:5060</c>): what a pickup from another node is
    /// redirected to, and what the proxy checks against its dispatcher list before it follows that redirect.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string NodeSipUri { get; set; } = string.Empty;

    /// <summary>The proxy (Kamailio) that phones register at: legs to phones are sent through it (<c>sip:10.0.0.10:5060</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    public string ProxyUri { get; set; } = string.Empty;

    /// <summary>The SIP profile legs to phones leave by (<c>sofia/&lt;profile&gt;/user@realm</c>).</summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,32}$")]
    public string SipProfile { get; set; } = "internal";

    /// <summary>
    /// A StackExchange.Redis configuration string: <c>127.0.0.1:6379</c>, or Sentinel's
    /// <c>sentinel1:26379,sentinel2:26379,serviceName=eslcallflow</c>; <c>password=</c> is read from here but never logged.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string Redis { get; set; } = string.Empty;

    /// <summary>Every key this cluster writes starts with this (several clusters may share one Redis).</summary>
    [RegularExpression("^[A-Za-z0-9._:-]{1,32}$")]
    public string KeyPrefix { get; set; } = "eslcallflow:";

    /// <summary>A ringing leg not refreshed this long vanishes from the store (its node or daemon died).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan LegTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A node whose heartbeat is this old is dead: its legs are offered to no picker.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan NodeTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the node's heartbeat and its legs' lifetimes are renewed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a pickup's claim on a ringing call holds before the intercept must have happened.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ClaimTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest a pickup waits for the store before it goes on with what its own node knows (the store is
    /// down, slow or failing over). Pickups never wait for a reconnect.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SipUri.Check(NodeSipUri) is { } nodeProblem)
        {
            yield return new ValidationResult($"Cluster:NodeSipUri {nodeProblem}", [nameof(NodeSipUri)]);
        }
        if (SipUri.Check(ProxyUri) is { } proxyProblem)
        {
            yield return new ValidationResult($"Cluster:ProxyUri {proxyProblem}", [nameof(ProxyUri)]);
        }
        if (ParseRedis() is (null, var redisProblem))
        {
            yield return new ValidationResult($"Cluster:Redis {redisProblem}", [nameof(Redis)]);
        }
        // Two beats must fit in a lifetime, so one late or lost renewal does not make a live node or leg vanish.
        if (HeartbeatInterval * 2 > NodeTtl || HeartbeatInterval * 2 > LegTtl)
        {
            yield return new ValidationResult("Cluster:HeartbeatInterval must be at most half of Cluster:NodeTtl and of Cluster:LegTtl", [nameof(HeartbeatInterval)]);
        }
    }

    /// <summary>The Redis configuration with the settings a pickup needs: fail fast while disconnected, never queue.</summary>
    internal ConfigurationOptions RedisConfiguration() => ParseRedis().Configuration ?? throw new InvalidOperationException("Cluster:Redis was not validated");

    private (ConfigurationOptions? Configuration, string? Problem) ParseRedis()
    {
        if (string.IsNullOrWhiteSpace(Redis))
        {
            return (null, "is required");
        }
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(Redis);
        }
        catch (ArgumentException ex)
        {
            // The message names the bad option, never the value (which may be a password).
            return (null, "is not a Redis configuration string: " + ex.Message.Split('\n')[0]);
        }
        if (configuration.EndPoints.Count == 0)
        {
            return (null, "names no server (host:port)");
        }
        // Start without the store and keep trying (a node must run its own calls while Redis is down); a command
        // while disconnected fails at once instead of waiting in a backlog for the reconnect.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "eslcallflow-" + NodeId;
        return (configuration, null);
    }
}
