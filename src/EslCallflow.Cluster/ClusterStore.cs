using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EslCallflow.Cluster;

/// <summary>How a claim on a ringing call went.</summary>
public enum ClaimOutcome
{
    /// <summary>This picker holds the call's claim now.</summary>
    Won,

    /// <summary>Another picker, on this node or another, holds it.</summary>
    HeldElsewhere,

    /// <summary>The store did not answer in time: only the node that owns the call can decide (it always does).</summary>
    Unavailable,
}

/// <summary>
/// What a pickup asks the store: the legs ringing anywhere on the devices in scope, and the call's claim. Every
/// question is bounded by <see cref="ClusterOptions.QueryTimeout"/>: with the store down or slow the answer is
/// "unavailable" at once, and the pickup goes on with its own node's calls. The store is soft state: the node that
/// owns a call still decides its pickup (only it can intercept), so a claim lost in a failover costs a refusal
/// there, never a second pickup.
/// </summary>
public sealed partial class ClusterStore
{
    // One round trip for any number of devices: each device's set, each leg's entry, and the heartbeat of the node
    // holding it. Set members whose leg has expired (its node died or lost the store) are removed on the way. It reads
    // keys it is not handed, which a single Redis or a Sentinel-managed one allows (not Redis Cluster).
    private const string RingingScript = """
        local out = {}
        local seen = {}
        for _, key in ipairs(KEYS) do
          for _, leg in ipairs(redis.call('ZRANGE', key, 0, -1)) do
            if not seen[leg] then
              seen[leg] = true
              local entry = redis.call('GET', ARGV[1] .. 'leg:' .. leg)
              if not entry then
                redis.call('ZREM', key, leg)
              else
                local ok, decoded = pcall(cjson.decode, entry)
                if ok and type(decoded) == 'table' and type(decoded['node']) == 'string' then
                  local uri = redis.call('GET', ARGV[1] .. 'node:' .. decoded['node'])
                  if uri then
                    out[#out + 1] = entry
                    out[#out + 1] = uri
                  end
                end
              end
            end
          end
        end
        return out
        """;

    // Deletes a claim only while it is still this picker's: a claim that expired and was taken by another stays.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private readonly ClusterConnection _connection;
    private readonly ClusterOptions _options;
    private readonly ClusterKeys _keys;
    private readonly ILogger<ClusterStore> _logger;
    private long _unavailable;

    public ClusterStore(ClusterConnection connection, ILogger<ClusterStore> logger)
    {
        _connection = connection;
        _options = connection.Options;
        _keys = connection.Keys;
        _logger = logger;
    }

    public string NodeId => _options.NodeId;

    public bool IsUp => _connection.IsUp;

    /// <summary>Questions the store did not answer in time (down, slow, failing over).</summary>
    public long Unavailable => Interlocked.Read(ref _unavailable);

    /// <summary>
    /// Legs ringing on any of <paramref name="deviceKeys"/> on live nodes, this one included, oldest first; null when
    /// the store did not answer (the caller then uses what its own node knows).
    /// </summary>
    public async Task<IReadOnlyList<ClusterRingingLeg>?> RingingOnAsync(IReadOnlyCollection<string> deviceKeys, CancellationToken cancellationToken = default)
    {
        if (deviceKeys.Count == 0)
        {
            return [];
        }
        var (answered, reply) = await AskAsync(db => db.ScriptEvaluateAsync(RingingScript, [.. deviceKeys.Select(k => (RedisKey)_keys.Ringing(k))], [_keys.Prefix]), cancellationToken).ConfigureAwait(false);
        if (!answered)
        {
            return null;
        }
        var values = (RedisResult[]?)reply ?? [];
        var legs = new List<ClusterRingingLeg>(values.Length / 2);
        for (var i = 0; i + 1 < values.Length; i += 2)
        {
            if (RingingEntry.FromJson(values[i].ToString()) is { } entry && SipUri.Check(values[i + 1].ToString()) is null)
            {
                legs.Add(new ClusterRingingLeg(entry, values[i + 1].ToString()));
            }
        }
        legs.Sort((a, b) => a.Entry.RingingSince != b.Entry.RingingSince
            ? a.Entry.RingingSince.CompareTo(b.Entry.RingingSince)
            : string.CompareOrdinal(a.Entry.LegUuid, b.Entry.LegUuid));
        return legs;
    }

    /// <summary>The SIP URI of a live node, or null when it is not live or the store did not answer.</summary>
    public async Task<string?> NodeUriAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        var (answered, value) = await AskAsync(db => db.StringGetAsync(_keys.Node(nodeId)), cancellationToken).ConfigureAwait(false);
        return answered && !value.IsNull ? value.ToString() : null;
    }

    /// <summary>
    /// Claims the ringing call <paramref name="callKey"/> (its caller's leg) for the picker named by
    /// <paramref name="token"/>, for <see cref="ClusterOptions.ClaimTtl"/>: one claim wins across the cluster.
    /// </summary>
    public async Task<ClaimOutcome> TryClaimAsync(string callKey, string token, CancellationToken cancellationToken = default)
    {
        // SET NX GET (Redis 7): set only if free, and say who held it. A second try by the same picker (the first
        // timed out here but was written there) finds its own claim and has won.
        var value = ClaimValue(token);
        var (answered, before) = await AskAsync(db => db.StringSetAndGetAsync(_keys.Claim(callKey), value, _options.ClaimTtl, false, When.NotExists), cancellationToken).ConfigureAwait(false);
        return !answered ? ClaimOutcome.Unavailable : before.IsNull || before == value ? ClaimOutcome.Won : ClaimOutcome.HeldElsewhere;
    }

    /// <summary>Whether the claim on <paramref name="callKey"/> is held by <paramref name="token"/>; null when the store did not answer.</summary>
    public async Task<bool?> HoldsClaimAsync(string callKey, string token, CancellationToken cancellationToken = default)
    {
        var (answered, value) = await AskAsync(db => db.StringGetAsync(_keys.Claim(callKey)), cancellationToken).ConfigureAwait(false);
        return answered ? value == ClaimValue(token) : null;
    }

    /// <summary>Keeps a won claim for <paramref name="keep"/>, so that pickers elsewhere skip the call until it stops ringing.</summary>
    public async Task KeepClaimAsync(string callKey, string token, TimeSpan keep, CancellationToken cancellationToken = default) =>
        await AskAsync(db => db.StringSetAsync(_keys.Claim(callKey), ClaimValue(token), keep), cancellationToken).ConfigureAwait(false);

    /// <summary>Gives the claim up (the intercept failed or was not tried), if it is still this picker's.</summary>
    public async Task ReleaseClaimAsync(string callKey, string token, CancellationToken cancellationToken = default) =>
        await AskAsync(db => db.ScriptEvaluateAsync(ReleaseScript, [_keys.Claim(callKey)], [ClaimValue(token)]), cancellationToken).ConfigureAwait(false);

    /// <summary>Runs one question with the store's deadline: not answered when the store is down, failing or slower than allowed.</summary>
    internal async Task<(bool Answered, T Value)> AskAsync<T>(Func<IDatabase, Task<T>> ask, CancellationToken cancellationToken)
    {
        if (_connection.Database is not { } db)
        {
            Interlocked.Increment(ref _unavailable);
            return default;
        }
        try
        {
            return (true, await ask(db).WaitAsync(_options.QueryTimeout, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref _unavailable);
            LogUnanswered(_logger, ex.Message);
            return default;
        }
    }

    private string ClaimValue(string token) => _options.NodeId + " " + token;

    [LoggerMessage(EventId = 7020, Level = LogLevel.Debug, Message = "Cluster store did not answer ({Reason}); going on with this node's own calls")]
    private static partial void LogUnanswered(ILogger logger, string reason);
}
