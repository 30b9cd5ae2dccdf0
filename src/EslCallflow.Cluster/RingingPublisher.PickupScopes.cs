using StackExchange.Redis;

namespace EslCallflow.Cluster;

/// <summary>
/// The scopes of this node's group pickups, by the number dialled: <c>pickup:{number}</c> holds the device keys in that
/// pickup's scope, so that the proxy (deploy/kamailio, route[GROUP_PICKUP_LOOKUP]) can find where the oldest call in
/// the scope rings and send the picker there. They come from the configuration, which is the same on every node: each
/// node writes the same sets, renews them with its heartbeat and writes them again after a reload, a reconnect or when
/// a renewal finds one gone; they expire after <see cref="ClusterOptions.NodeTtl"/> once no node renews them.
/// </summary>
public sealed partial class RingingPublisher
{
    // What the configuration says now (null until said: nothing is written or deleted before), and whether the store
    // has it yet.
    private Dictionary<string, string[]>? _scopes;
    private bool _scopesPending;
    private bool _scopesWriting;

    /// <summary>The group pickups' scopes: dialled number to the device keys in its scope. Never waits for the store.</summary>
    public void PickupScopes(IReadOnlyDictionary<string, IReadOnlyCollection<string>> scopes)
    {
        var next = scopes.Where(s => s.Value.Count > 0)
            .ToDictionary(s => s.Key, s => s.Value.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
        lock (_gate)
        {
            if (_scopes is not null && _scopes.Count == next.Count
                && _scopes.All(s => next.TryGetValue(s.Key, out var keys) && keys.SequenceEqual(s.Value, StringComparer.Ordinal)))
            {
                return;
            }
            _scopes = next;
            _scopesPending = true;
        }
        Wake();
    }

    /// <summary>The group pickups' scopes this node writes, by number (tests and <c>/metrics</c>).</summary>
    public int PickupScopeCount
    {
        get
        {
            lock (_gate)
            {
                return _scopes?.Count ?? 0;
            }
        }
    }

    private bool ScopesFlushed => !_scopesPending && !_scopesWriting;

    private void RepublishScopes()
    {
        lock (_gate)
        {
            _scopesPending = _scopes is not null;
        }
    }

    /// <summary>Writes every scope at once (one transaction: a reader sees the old sets or the new, never a half), and deletes the numbers gone from the configuration.</summary>
    private async Task WriteScopesAsync()
    {
        if (_connection.Database is not { } db)
        {
            return;
        }
        Dictionary<string, string[]> scopes;
        lock (_gate)
        {
            if (!_scopesPending || _scopes is null)
            {
                return;
            }
            scopes = _scopes;
            _scopesPending = false;
            _scopesWriting = true;
        }
        try
        {
            var before = await db.SetMembersAsync(_keys.PickupNumbers).ConfigureAwait(false);
            var write = db.CreateTransaction();
            foreach (var gone in before.Select(v => v.ToString()).Where(n => !scopes.ContainsKey(n)))
            {
                _ = write.KeyDeleteAsync(_keys.PickupScope(gone));
            }
            _ = write.KeyDeleteAsync(_keys.PickupNumbers);
            foreach (var (number, keys) in scopes)
            {
                var key = _keys.PickupScope(number);
                _ = write.KeyDeleteAsync(key);
                _ = write.SetAddAsync(key, [.. keys.Select(k => (RedisValue)k)]);
                _ = write.KeyExpireAsync(key, _options.NodeTtl);
            }
            if (scopes.Count > 0)
            {
                _ = write.SetAddAsync(_keys.PickupNumbers, [.. scopes.Keys.Select(n => (RedisValue)n)]);
                _ = write.KeyExpireAsync(_keys.PickupNumbers, _options.NodeTtl);
            }
            if (!await write.ExecuteAsync().ConfigureAwait(false))
            {
                throw new RedisException("the pickup scopes' transaction was not applied");
            }
        }
        catch
        {
            RepublishScopes();
            throw;
        }
        finally
        {
            lock (_gate)
            {
                _scopesWriting = false;
            }
        }
    }

    /// <summary>Renews the scopes' lifetimes with the heartbeat; one found gone (the store lost it) has them all written again.</summary>
    private async Task RenewScopesAsync(IDatabase db)
    {
        string[] numbers;
        lock (_gate)
        {
            if (_scopes is not { Count: > 0 } || _scopesPending)
            {
                return;
            }
            numbers = [.. _scopes.Keys];
        }
        var batch = db.CreateBatch();
        var renewals = numbers.Select(n => batch.KeyExpireAsync(_keys.PickupScope(n), _options.NodeTtl)).Append(batch.KeyExpireAsync(_keys.PickupNumbers, _options.NodeTtl)).ToList();
        batch.Execute();
        if ((await Task.WhenAll(renewals).ConfigureAwait(false)).Contains(false))
        {
            LogKeysLost(_logger);
            RepublishScopes();
        }
    }
}
