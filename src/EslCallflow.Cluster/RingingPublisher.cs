using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EslCallflow.Cluster;

/// <summary>
/// Publishes the legs ringing on this node and keeps the node's heartbeat. Callers (the channel tracker) say what
/// rings and what stopped, synchronously and without waiting for Redis; one loop writes the changes, several at a
/// time, renews the lifetimes every <see cref="ClusterOptions.HeartbeatInterval"/> and, when the store comes back
/// or a renewal finds a key gone (Redis restarted empty, a failover lost writes), publishes everything again and
/// deletes what this node published before that rings no more. What rings here is known here: the store holds a
/// copy that expires by itself when the node stops renewing it.
/// </summary>
public sealed partial class RingingPublisher : IAsyncDisposable
{
    private readonly ClusterConnection _connection;
    private readonly ClusterOptions _options;
    private readonly ClusterKeys _keys;
    private readonly ILogger<RingingPublisher> _logger;
    private readonly Lock _gate = new();
    // What rings here now (the truth), and which legs changed since the loop last wrote them.
    private readonly Dictionary<string, RingingEntry> _ringing = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    // What this node last wrote to the store, leg by leg: a removal needs the device keys it was filed under.
    private readonly Dictionary<string, RingingEntry> _published = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private bool _republish = true;
    private bool _writing;
    private Task? _loop;
    private long _writeFailures;
    private long _republished;
    private int _disposed;

    public RingingPublisher(ClusterConnection connection, ILogger<RingingPublisher> logger)
    {
        _connection = connection;
        _options = connection.Options;
        _keys = connection.Keys;
        _logger = logger;
        _connection.Restored += () => RequestRepublish();
    }

    public string NodeId => _options.NodeId;

    /// <summary>Batches of writes that failed (the store was down or failing over); everything is published again once it is back.</summary>
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>How many times everything was published again (first connect, reconnects, keys found gone).</summary>
    public long Republished => Interlocked.Read(ref _republished);

    /// <summary>Legs this node says ring now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ringing.Count;
            }
        }
    }

    /// <summary>A leg rings here (or its details changed). Never waits for the store.</summary>
    public void Ringing(RingingEntry entry)
    {
        if (entry.NodeId != _options.NodeId)
        {
            throw new ArgumentException($"entry of node {entry.NodeId} published by node {_options.NodeId}", nameof(entry));
        }
        lock (_gate)
        {
            if (_ringing.TryGetValue(entry.LegUuid, out var known) && Same(known, entry))
            {
                return;
            }
            _ringing[entry.LegUuid] = entry;
            _changed.Add(entry.LegUuid);
        }
        Wake();
    }

    /// <summary>A leg rings no more here (answered, hung up, or gone). Never waits for the store.</summary>
    public void Stopped(string legUuid)
    {
        lock (_gate)
        {
            if (!_ringing.Remove(legUuid))
            {
                return;
            }
            _changed.Add(legUuid);
        }
        Wake();
    }

    /// <summary>Everything that rings here now (after the daemon rebuilt its view from the switch): the rest is deleted.</summary>
    public void ReplaceAll(IEnumerable<RingingEntry> entries)
    {
        lock (_gate)
        {
            _ringing.Clear();
            foreach (var entry in entries)
            {
                _ringing[entry.LegUuid] = entry;
            }
            _changed.Clear();
            _republish = true;
        }
        Wake();
    }

    /// <summary>Starts the loop that writes, renews and republishes.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }
    }

    /// <summary>Completes when everything said so far is in the store (tests); false if the store could not be written by then.</summary>
    public async Task<bool> FlushedAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            lock (_gate)
            {
                if (_changed.Count == 0 && !_republish && !_writing)
                {
                    return true;
                }
            }
            await Task.Delay(10).ConfigureAwait(false);
        }
        return false;
    }

    private void RequestRepublish()
    {
        lock (_gate)
        {
            _republish = true;
        }
        Wake();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var nextBeat = TimeProvider.System.GetTimestamp();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (TimeProvider.System.GetElapsedTime(nextBeat) >= TimeSpan.Zero)
                {
                    nextBeat = TimeProvider.System.GetTimestamp() + (long)(_options.HeartbeatInterval.TotalSeconds * TimeProvider.System.TimestampFrequency);
                    await BeatAsync().ConfigureAwait(false);
                }
                await WriteChangesAsync().ConfigureAwait(false);
                var wait = -TimeProvider.System.GetElapsedTime(nextBeat);
                if (wait > TimeSpan.Zero)
                {
                    await _wake.WaitAsync(wait, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The store is down or failing over: write everything again once it answers.
                Interlocked.Increment(ref _writeFailures);
                lock (_gate)
                {
                    _republish = true;
                }
                LogWriteFailed(_logger, ex.Message);
                try
                {
                    await Task.Delay(_options.HeartbeatInterval / 5, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The heartbeat, and the renewal of every leg's lifetime; a leg found gone means the store lost it.</summary>
    private async Task BeatAsync()
    {
        if (_connection.Database is not { } db)
        {
            return;
        }
        string[] legs;
        lock (_gate)
        {
            legs = [.. _published.Keys];
        }
        var batch = db.CreateBatch();
        var beat = batch.StringSetAsync(_keys.Node(_options.NodeId), _options.NodeSipUri, _options.NodeTtl);
        var renewals = new List<Task<bool>>(legs.Length + 1)
        {
            batch.KeyExpireAsync(_keys.NodeLegs(_options.NodeId), _options.NodeTtl + _options.LegTtl),
        };
        foreach (var leg in legs)
        {
            renewals.Add(batch.KeyExpireAsync(_keys.Leg(leg), _options.LegTtl));
        }
        batch.Execute();
        await beat.ConfigureAwait(false);
        var renewed = await Task.WhenAll(renewals).ConfigureAwait(false);
        // The first renews the node's list, which exists only while it has published legs.
        if (renewed.Skip(1).Contains(false) || (legs.Length > 0 && !renewed[0]))
        {
            LogKeysLost(_logger);
            lock (_gate)
            {
                _republish = true;
            }
        }
        else if (legs.Length > 0)
        {
            // The device sets live as long as their legs.
            var ringing = db.CreateBatch();
            var sets = new List<Task>();
            lock (_gate)
            {
                foreach (var key in _published.Values.SelectMany(e => e.DeviceKeys).Distinct(StringComparer.Ordinal))
                {
                    sets.Add(ringing.KeyExpireAsync(_keys.Ringing(key), _options.LegTtl));
                }
            }
            ringing.Execute();
            await Task.WhenAll(sets).ConfigureAwait(false);
        }
    }

    private async Task WriteChangesAsync()
    {
        if (_connection.Database is not { } db)
        {
            return;
        }
        bool republish;
        List<(string Leg, RingingEntry? Now, RingingEntry? Before)> changes;
        lock (_gate)
        {
            republish = _republish;
            if (!republish && _changed.Count == 0)
            {
                return;
            }
            var legs = republish ? _ringing.Keys.Union(_published.Keys) : _changed;
            changes = [.. legs.Select(l => (l, _ringing.GetValueOrDefault(l), _published.GetValueOrDefault(l)))];
            _changed.Clear();
            _republish = false;
            _writing = true;
        }
        try
        {
            await WriteAsync(db, changes, republish).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                foreach (var (leg, _, _) in changes)
                {
                    _changed.Add(leg);
                }
                _republish |= republish;
                _writing = false;
            }
            throw;
        }
        lock (_gate)
        {
            _writing = false;
            foreach (var (leg, now, _) in changes)
            {
                if (now is null)
                {
                    _published.Remove(leg);
                }
                else
                {
                    _published[leg] = now;
                }
            }
        }
        if (republish)
        {
            Interlocked.Increment(ref _republished);
        }
    }

    private async Task WriteAsync(IDatabase db, List<(string Leg, RingingEntry? Now, RingingEntry? Before)> changes, bool republish)
    {
        var nodeLegs = _keys.NodeLegs(_options.NodeId);
        var tasks = new List<Task>();
        if (republish)
        {
            // Legs this node published before (a run ago, or before an outage) that ring no more: delete them. Their
            // entries in the device sets go when a query finds the leg gone.
            var before = await db.SetMembersAsync(nodeLegs).ConfigureAwait(false);
            var known = changes.Select(c => c.Leg).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in before.Select(v => v.ToString()).Where(l => !known.Contains(l)))
            {
                changes.Add((stale, null, null));
            }
        }
        var batch = db.CreateBatch();
        tasks.Add(batch.StringSetAsync(_keys.Node(_options.NodeId), _options.NodeSipUri, _options.NodeTtl));
        foreach (var (leg, now, before) in changes)
        {
            if (now is null)
            {
                tasks.Add(batch.KeyDeleteAsync(_keys.Leg(leg)));
                tasks.Add(batch.SetRemoveAsync(nodeLegs, leg));
                foreach (var key in before?.DeviceKeys ?? [])
                {
                    tasks.Add(batch.SortedSetRemoveAsync(_keys.Ringing(key), leg));
                }
                continue;
            }
            tasks.Add(batch.StringSetAsync(_keys.Leg(leg), now.ToJson(), _options.LegTtl));
            tasks.Add(batch.SetAddAsync(nodeLegs, leg));
            foreach (var key in now.DeviceKeys)
            {
                tasks.Add(batch.SortedSetAddAsync(_keys.Ringing(key), leg, now.RingingSince));
                tasks.Add(batch.KeyExpireAsync(_keys.Ringing(key), _options.LegTtl));
            }
            foreach (var key in before?.DeviceKeys.Except(now.DeviceKeys, StringComparer.Ordinal) ?? [])
            {
                tasks.Add(batch.SortedSetRemoveAsync(_keys.Ringing(key), leg));
            }
        }
        tasks.Add(batch.KeyExpireAsync(nodeLegs, _options.NodeTtl + _options.LegTtl));
        batch.Execute();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static bool Same(RingingEntry a, RingingEntry b) =>
        a.CallerUuid == b.CallerUuid && a.DeviceId == b.DeviceId && a.SipIdentity == b.SipIdentity
        && a.RingingSince == b.RingingSince && a.DeviceKeys.SequenceEqual(b.DeviceKeys, StringComparer.Ordinal);

    /// <summary>Stops the loop. The store keeps what was published until it expires: a restart republishes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
        _stop.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Debug, Message = "Cluster store: publishing ringing legs failed ({Reason}); everything is published again once the store answers")]
    private static partial void LogWriteFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "Cluster store lost keys this node published (restarted empty, or a failover); publishing everything again")]
    private static partial void LogKeysLost(ILogger logger);
}
