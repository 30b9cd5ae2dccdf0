using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EslCallflow.Cluster;

/// <summary>
/// The one Redis connection of a node: made in the background (a node starts and runs its own calls without the
/// store), reconnected by StackExchange.Redis for as long as it takes. It says whether the store is up, logs one
/// warning when it goes and one line when it is back, counts the outages, and tells <see cref="Restored"/>'s
/// listeners when it is back, so that the node publishes everything again.
/// </summary>
public sealed partial class ClusterConnection : IAsyncDisposable
{
    private readonly ClusterOptions _options;
    private readonly ILogger<ClusterConnection> _logger;
    private readonly Lock _gate = new();
    private ConnectionMultiplexer? _multiplexer;
    private Task? _connecting;
    private bool _up;
    private bool _downLogged;
    private long _outages;
    private bool _disposed;

    public ClusterConnection(IOptions<ClusterOptions> options, ILogger<ClusterConnection> logger)
    {
        _options = options.Value;
        _logger = logger;
        Keys = new ClusterKeys(_options.KeyPrefix);
    }

    /// <summary>Raised (on a thread-pool thread) each time the store is reached: the first time and after every outage.</summary>
    public event Action? Restored;

    public ClusterOptions Options => _options;

    internal ClusterKeys Keys { get; }

    /// <summary>True while the store answers.</summary>
    public bool IsUp
    {
        get
        {
            lock (_gate)
            {
                return _up;
            }
        }
    }

    /// <summary>How many times the store went away since the start (and the start itself, if it was not there).</summary>
    public long Outages => Interlocked.Read(ref _outages);

    /// <summary>The database while the store is up; null while it is not (commands would fail at once anyway).</summary>
    internal IDatabase? Database => IsUp ? _multiplexer?.GetDatabase() : null;

    /// <summary>Starts connecting and returns at once; <see cref="Restored"/> says when the store is there.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connecting ??= ConnectAsync();
        }
    }

    /// <summary>Completes once the first connection attempt has ended, reached or not (tests, shutdown).</summary>
    public Task Connecting
    {
        get
        {
            lock (_gate)
            {
                return _connecting ?? Task.CompletedTask;
            }
        }
    }

    private async Task ConnectAsync()
    {
        await Task.Yield();
        var configuration = _options.RedisConfiguration();
        ConnectionMultiplexer multiplexer;
        try
        {
            // With AbortOnConnectFail off this returns a multiplexer that keeps trying when the first attempt fails;
            // a configuration string with serviceName= connects through Sentinel to the current primary.
            multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisException or ArgumentException)
        {
            LogConnectFailed(_logger, ex.Message);
            MarkDown();
            return;
        }
        lock (_gate)
        {
            if (_disposed)
            {
                multiplexer.Dispose();
                return;
            }
            _multiplexer = multiplexer;
        }
        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                MarkDown(e.FailureType.ToString());
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive && multiplexer.IsConnected)
            {
                MarkUp();
            }
        };
        if (multiplexer.IsConnected)
        {
            MarkUp();
        }
        else
        {
            MarkDown("not reached at start");
        }
    }

    private void MarkDown(string reason = "not reached at start")
    {
        lock (_gate)
        {
            if (_disposed || (!_up && _downLogged))
            {
                return;
            }
            _up = false;
            _downLogged = true;
            Interlocked.Increment(ref _outages);
        }
        LogDown(_logger, reason);
    }

    private void MarkUp()
    {
        bool wasDown;
        lock (_gate)
        {
            if (_disposed || _up)
            {
                return;
            }
            _up = true;
            wasDown = _downLogged;
            _downLogged = false;
        }
        if (wasDown)
        {
            LogBack(_logger);
        }
        else
        {
            LogConnected(_logger, _options.NodeId);
        }
        Restored?.Invoke();
    }

    public async ValueTask DisposeAsync()
    {
        Task? connecting;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _up = false;
            connecting = _connecting;
        }
        if (connecting is not null)
        {
            await connecting.ConfigureAwait(false);
        }
        if (_multiplexer is { } multiplexer)
        {
            await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Cluster store reached; node {NodeId} publishes its ringing legs")]
    private static partial void LogConnected(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Cluster store unreachable ({Reason}): this node rings and picks up its own calls only until it is back")]
    private static partial void LogDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Cluster store back; publishing this node's ringing legs again")]
    private static partial void LogBack(ILogger logger);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Cluster store: could not start a connection: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string reason);
}
