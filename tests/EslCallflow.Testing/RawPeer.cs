using System.Net;
using System.Net.Sockets;
using System.Text;
namespace EslCallflow.Testing;

/// <summary>
/// A bare TCP client against the outbound listener, scripted line by line: it can play FreeSWITCH's socket
/// application as far as a test wants, and then do what FreeSWITCH never would.
/// </summary>
public sealed class RawPeer : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeSocket _socket;

    private RawPeer(FakeSocket socket) => _socket = socket;

    public static async Task<RawPeer> ConnectAsync(IPEndPoint listener)
    {
        var socket = new Socket(listener.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener);
        return new RawPeer(new FakeSocket(socket));
    }

    /// <summary>True once either side closed the connection.</summary>
    public bool IsClosed => _socket.IsClosed;

    /// <summary>The next command the listener sent; null once it closed the connection.</summary>
    public async Task<string?> ReadCommandAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        return await _socket.ReadCommandAsync(cts.Token);
    }

    /// <summary>True if the listener closes the connection (sending nothing more) within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsClosedByListenerAsync(TimeSpan timeout)
    {
        try
        {
            return await ReadCommandAsync(timeout) is null;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public Task SendAsync(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text));

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes);

    /// <summary>Answers <c>connect</c> with channel data for <paramref name="uuid"/>, then every set-up command up to <c>linger</c> with +OK.</summary>
    public async Task AnswerHandshakeAsync(string uuid)
    {
        if (await ReadCommandAsync() is not "connect" and var first)
        {
            throw new InvalidOperationException($"expected connect, got '{first}'");
        }
        await AnswerConnectAsync(new Dictionary<string, string> { ["Unique-ID"] = uuid, ["Caller-Destination-Number"] = "7000" });
        while (await ReadCommandAsync() is { } command)
        {
            await SendAsync(EslWire.CommandReply("+OK"));
            if (command == "linger")
            {
                return;
            }
        }
        throw new InvalidOperationException("the listener closed the connection during the handshake");
    }

    public Task AnswerConnectAsync(IReadOnlyDictionary<string, string> channelData) =>
        SendAsync(EslWire.ChannelDataReply(EventTemplates.ChannelData(channelData)));

    /// <summary>CHANNEL_EXECUTE_COMPLETE for the sendmsg execute <paramref name="command"/>.</summary>
    public Task CompleteAsync(string uuid, string command)
    {
        var application = Header(command, "execute-app-name");
        var evt = EventTemplates.CallerEvent("CHANNEL_EXECUTE_COMPLETE", uuid, new Dictionary<string, string>
        {
            ["Application"] = application,
            ["Application-UUID"] = Header(command, "event-uuid"),
            ["Application-Response"] = "_none_",
        });
        return SendAsync(EslWire.JsonEvent(evt));
    }

    /// <summary>Closes the connection at once (RST), as a switch dropping the channel's socket would.</summary>
    public void Drop() => _socket.Drop();

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private static string Header(string command, string name) =>
        command.Split('\n').Select(l => l.Split(": ", 2)).First(p => p.Length == 2 && p[0] == name)[1];
}
