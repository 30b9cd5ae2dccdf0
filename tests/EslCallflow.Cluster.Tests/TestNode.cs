using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Cluster.Tests;

/// <summary>What one daemon holds of the cluster: its connection, its publisher and its store, as the daemon builds them.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private TestNode(ClusterOptions options)
    {
        Options = options;
        Connection = new ClusterConnection(Microsoft.Extensions.Options.Options.Create(options), new ListLogger<ClusterConnection>(Log));
        Publisher = new RingingPublisher(Connection, new ListLogger<RingingPublisher>(Log));
        Store = new ClusterStore(Connection, new ListLogger<ClusterStore>(Log));
        State = new FeatureState(Store, Connection);
    }

    public ClusterOptions Options { get; }

    public ClusterConnection Connection { get; }

    public RingingPublisher Publisher { get; }

    public ClusterStore Store { get; }

    public FeatureState State { get; }

    public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Log { get; } = new();

    public static ClusterOptions OptionsFor(RedisServer redis, string nodeId, int sipPort) => new()
    {
        NodeId = nodeId,
        NodeSipUri = $"sip:127.0.0.1:{sipPort}",
        ProxyUri = "sip:127.0.0.1:5060",
        Redis = redis.Configuration + ",connectTimeout=1000",
        LegTtl = TimeSpan.FromSeconds(15),
        NodeTtl = TimeSpan.FromSeconds(15),
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        ClaimTtl = TimeSpan.FromSeconds(10),
        // Generous: the machine running the tests may be busy; the store-down test shows questions fail at once anyway.
        QueryTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>A node connected to the store, its loop running; waits until it is up.</summary>
    public static async Task<TestNode> StartAsync(ClusterOptions options, bool waitUntilUp = true)
    {
        var node = new TestNode(options);
        node.Connection.Start();
        node.Publisher.Start();
        if (waitUntilUp)
        {
            await node.UpAsync(TimeSpan.FromSeconds(10));
        }
        return node;
    }

    public async Task UpAsync(TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!Connection.IsUp)
        {
            Assert.True(DateTime.UtcNow < until, $"node {Options.NodeId} did not reach the store within {within}");
            await Task.Delay(20);
        }
    }

    public RingingEntry Leg(string leg, string? caller, string device, long since) =>
        new(leg, caller, device, device + "@example.com", ["id:" + device, "sip:" + device + "@example.com"], since, Options.NodeId);

    public async ValueTask DisposeAsync()
    {
        await Publisher.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

/// <summary>Keeps what is logged, to assert the lines an operator sees.</summary>
public sealed class ListLogger<T>(ConcurrentQueue<(LogLevel Level, int EventId, string Message)> lines) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
}

/// <summary>Polls until a condition holds, failing with <paramref name="what"/> after <paramref name="within"/>.</summary>
public static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> holds, TimeSpan within, string what)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            var value = await read();
            if (holds(value))
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < until, $"{what} did not happen within {within}; last seen: {value}");
            await Task.Delay(20);
        }
    }
}
