using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EslCallflow.Testing;

/// <summary>
/// A real redis-server of the test's own, on a free loopback port, without persistence: started, stopped (killed,
/// as a crash would) and started again on the same port, empty, as a restarted Redis without a disk would be.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;
    private readonly string? _sentinelConfig;

    private RedisServer(string executable, int port, string? sentinelConfig = null)
    {
        Executable = executable;
        Port = port;
        _sentinelConfig = sentinelConfig;
    }

    public string Executable { get; }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>redis-server from ESLCALLFLOW_REDIS_SERVER or PATH; null when it is not installed.</summary>
    public static string? Find() =>
        Environment.GetEnvironmentVariable("ESLCALLFLOW_REDIS_SERVER") is { Length: > 0 } configured && File.Exists(configured)
            ? configured
            : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
                .Select(dir => Path.Combine(dir, "redis-server"))
                .FirstOrDefault(File.Exists);

    public static async Task<RedisServer> StartAsync(params string[] extraArguments)
    {
        var executable = Find() ?? throw new InvalidOperationException("redis-server is not installed (.ci/run installs it with apt-get)");
        var server = new RedisServer(executable, FreePort());
        await server.StartAgainAsync(extraArguments).ConfigureAwait(false);
        return server;
    }

    /// <summary>A server on a port chosen before (a node was configured for it while nothing listened there).</summary>
    public static async Task<RedisServer> StartOnAsync(int port, params string[] extraArguments)
    {
        var executable = Find() ?? throw new InvalidOperationException("redis-server is not installed (.ci/run installs it with apt-get)");
        var server = new RedisServer(executable, port);
        await server.StartAgainAsync(extraArguments).ConfigureAwait(false);
        return server;
    }

    /// <summary>A Sentinel watching the primary on <paramref name="primaryPort"/> as <paramref name="service"/>, quick to fail over.</summary>
    public static async Task<RedisServer> StartSentinelAsync(int primaryPort, string service)
    {
        var executable = Find() ?? throw new InvalidOperationException("redis-server is not installed (.ci/run installs it with apt-get)");
        var port = FreePort();
        // Sentinel rewrites its configuration file as it learns, so it gets a file of its own.
        var config = Path.Combine(Path.GetTempPath(), $"eslcallflow-sentinel-{port}.conf");
        await File.WriteAllTextAsync(config, $"""
            port {port}
            bind 127.0.0.1
            sentinel monitor {service} 127.0.0.1 {primaryPort} 1
            sentinel down-after-milliseconds {service} 1000
            sentinel failover-timeout {service} 5000
            """).ConfigureAwait(false);
        var sentinel = new RedisServer(executable, port, config);
        await sentinel.StartAgainAsync().ConfigureAwait(false);
        return sentinel;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the server (again) on its port and waits until it answers PING.</summary>
    public async Task StartAgainAsync(params string[] extraArguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments = _sentinelConfig is { } config
            ? [config, "--sentinel"]
            : ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"];
        foreach (var argument in arguments.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < until)
        {
            if (await PingAsync(Port).ConfigureAwait(false))
            {
                return;
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} on port {Port}");
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
        throw new TimeoutException($"redis-server on port {Port} did not answer PING within 10 s");
    }

    /// <summary>Kills the server, as a crash would, and waits for it to be gone.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
            }
            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
        }
    }

    /// <summary>One command in the inline protocol, its raw reply (tests look at the store as Redis holds it).</summary>
    public async Task<string> CommandAsync(string command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n")).ConfigureAwait(false);
        var buffer = new byte[65536];
        var read = await stream.ReadAsync(buffer).ConfigureAwait(false);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static async Task<bool> PingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray()).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_sentinelConfig is { } config)
        {
            File.Delete(config);
        }
    }
}

public static class RedisServerCommands
{
    /// <summary>A key's remaining lifetime in milliseconds (-2: no such key, -1: no lifetime).</summary>
    public static async Task<long> PttlAsync(this RedisServer redis, string key) =>
        long.Parse((await redis.CommandAsync("PTTL " + key)).TrimStart(':').Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
