using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EslCallflow.Testing;

/// <summary>
/// FreeSWITCH's event socket (the inbound side, port 8021) as the transcripts show it: auth/request, auth,
/// api, bgapi with BACKGROUND_JOB, event subscriptions, filter, exit with a disconnect notice.
/// </summary>
public sealed class FakeFreeSwitch : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly ConcurrentQueue<string> _commands = new();
    private readonly CancellationTokenSource _stop = new();
    private int _nextId;
    private int _subscriptions;
    private Task _acceptLoop = Task.CompletedTask;

    public FakeFreeSwitch(string password = "ClueCon")
    {
        Password = password;
    }

    public string Password { get; set; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Body for <c>api X</c>. The default knows <c>status</c> and <c>show channels as json</c>, and answers -ERR otherwise.</summary>
    public Func<string, string> Api { get; set; } = DefaultApi;

    /// <summary>Body of the BACKGROUND_JOB for <c>bgapi X</c>.</summary>
    public Func<string, string> BgApi { get; set; } = _ => "+OK " + Guid.NewGuid() + "\n";

    /// <summary>When false, commands are read but never answered (a hung switch).</summary>
    public bool Responsive { get; set; } = true;

    public int ConnectionsAccepted => _nextId;

    public int ActiveConnections => _connections.Count;

    public int SubscriptionCount => Volatile.Read(ref _subscriptions);

    public IReadOnlyCollection<string> Commands => _commands;

    /// <summary>Events the client fired with <c>sendevent</c>, as the switch parsed them (headers, body), in arrival order.</summary>
    public IReadOnlyList<FakeSentEvent> SentEvents => [.. _sentEvents];

    /// <summary>When set, <c>sendevent</c> is answered with this -ERR text instead of +OK.</summary>
    public string? RefuseSendEvent { get; set; }

    private readonly ConcurrentQueue<FakeSentEvent> _sentEvents = new();

    public static string DefaultApi(string command) => command switch
    {
        "status" => "UP 0 years, 0 days, 0 hours, 0 minutes, 22 seconds\nFreeSWITCH (Version 1.10.12-release) is ready\n",
        "show channels as json" => "{\"row_count\": 0}\n",
        _ => $"-ERR {command.Split(' ')[0]} Command not found!\n",
    };

    public FakeFreeSwitch Start()
    {
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
        return this;
    }

    /// <summary>Sends an event to every connection that subscribed to it.</summary>
    public async Task PublishAsync(IReadOnlyDictionary<string, string> evt)
    {
        foreach (var connection in _connections.Values)
        {
            if (connection.Wants(evt["Event-Name"]))
            {
                await connection.Socket.SendAsync(connection.Format == "plain" ? EslWire.PlainEvent(evt) : EslWire.JsonEvent(evt));
            }
        }
    }

    /// <summary>Writes raw bytes to every authenticated connection (for malformed-input tests).</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        foreach (var connection in _connections.Values)
        {
            await connection.Socket.SendAsync(bytes);
        }
    }

    /// <summary>Cuts every connection at once, as a switch restart does.</summary>
    public void DropConnections()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Socket.Drop();
        }
    }

    public async Task WaitUntilAsync(Func<FakeFreeSwitch, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(this))
        {
            await Task.Delay(10, cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropConnections();
        await _acceptLoop;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var id = Interlocked.Increment(ref _nextId);
            var connection = new Connection(new FakeSocket(socket));
            _connections[id] = connection;
            _ = Task.Run(() => ServeAsync(id, connection));
        }
    }

    private async Task ServeAsync(int id, Connection connection)
    {
        var socket = connection.Socket;
        try
        {
            await socket.SendAsync(EslWire.AuthRequest());
            while (await socket.ReadCommandAsync(_stop.Token) is { } command)
            {
                _commands.Enqueue(command);
                if (!Responsive)
                {
                    continue;
                }
                if (!await HandleAsync(connection, command))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _connections.TryRemove(id, out _);
            socket.Drop();
        }
    }

    private async Task<bool> HandleAsync(Connection connection, string command)
    {
        var socket = connection.Socket;
        var firstLine = command.Split('\n')[0];
        var verb = firstLine.Split(' ')[0];
        var argument = firstLine.Length > verb.Length ? firstLine[(verb.Length + 1)..] : string.Empty;
        switch (verb)
        {
            case "auth" when argument == Password:
                connection.Authenticated = true;
                await socket.SendAsync(EslWire.CommandReply("+OK accepted"));
                return true;
            case "auth":
                await socket.SendAsync(EslWire.CommandReply("-ERR invalid"));
                await socket.SendAsync(EslWire.DisconnectNotice(string.Empty, "disconnect"));
                return false;
            case var _ when !connection.Authenticated:
                await socket.SendAsync(EslWire.CommandReply("-ERR command not found"));
                return true;
            case "api":
                await socket.SendAsync(EslWire.ApiResponse(Api(argument)));
                return true;
            case "bgapi":
                var jobUuid = command.Split('\n').FirstOrDefault(l => l.StartsWith("Job-UUID: ", StringComparison.Ordinal))?["Job-UUID: ".Length..] ?? Guid.NewGuid().ToString();
                await socket.SendAsync(EslWire.CommandReply("+OK Job-UUID: " + jobUuid, ("Job-UUID", jobUuid)));
                var jobBody = BgApi(argument.Split('\n')[0]);
                var job = new Dictionary<string, string>
                {
                    ["Event-Name"] = "BACKGROUND_JOB",
                    ["Core-UUID"] = "6eed0b61-ff99-41f8-b7c9-0f72e346b865",
                    ["Job-UUID"] = jobUuid,
                    ["Job-Command"] = argument.Split(' ')[0],
                    ["Job-Command-Arg"] = argument.Contains(' ', StringComparison.Ordinal) ? argument[(argument.IndexOf(' ', StringComparison.Ordinal) + 1)..] : string.Empty,
                };
                if (connection.Wants("BACKGROUND_JOB"))
                {
                    if (connection.Format == "plain")
                    {
                        await socket.SendAsync(EslWire.PlainEvent(job, jobBody));
                    }
                    else
                    {
                        job["_body"] = jobBody;
                        await socket.SendAsync(EslWire.JsonEvent(job));
                    }
                }
                return true;
            case "event":
                var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                connection.Format = words[0];
                foreach (var name in words.Skip(1))
                {
                    connection.Events[name] = true;
                }
                Interlocked.Increment(ref _subscriptions);
                await socket.SendAsync(EslWire.CommandReply("+OK event listener enabled " + words[0]));
                return true;
            case "nixevent":
                foreach (var name in argument.Split(' '))
                {
                    connection.Events.TryRemove(name, out _);
                }
                await socket.SendAsync(EslWire.CommandReply("+OK events removed"));
                return true;
            case "filter":
                await socket.SendAsync(EslWire.CommandReply($"+OK filter added. [{argument.Split(' ')[0]}]=[{string.Join(' ', argument.Split(' ').Skip(1))}]"));
                return true;
            case "sendevent":
                if (RefuseSendEvent is { } refusal)
                {
                    await socket.SendAsync(EslWire.CommandReply(refusal));
                    return true;
                }
                var sent = FakeSentEvent.Parse(command);
                _sentEvents.Enqueue(sent);
                // mod_event_socket.c parse_command: the event goes to every listener subscribed to it; the reply names its Event-UUID.
                await PublishAsync(sent.AsPublished());
                await socket.SendAsync(EslWire.CommandReply("+OK " + sent.Headers["Event-UUID"]));
                return true;
            case "exit":
                await socket.SendAsync(EslWire.CommandReply("+OK bye"));
                await socket.SendAsync(EslWire.DisconnectNotice(string.Empty, "disconnect"));
                return false;
            default:
                await socket.SendAsync(EslWire.CommandReply("-ERR command not found"));
                return true;
        }
    }

    private sealed class Connection(FakeSocket socket)
    {
        public FakeSocket Socket { get; } = socket;
        public bool Authenticated { get; set; }
        public string Format { get; set; } = "json";
        public ConcurrentDictionary<string, bool> Events { get; } = new();

        public bool Wants(string eventName) => Events.ContainsKey("ALL") || Events.ContainsKey(eventName);
    }
}
