using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>What a socket-application server asks of FreeSWITCH for one call, beyond the bridge itself.</summary>
public enum FloorSteps
{
    /// <summary><c>connect</c>, then the bridge: the least any outbound-socket server can send.</summary>
    Bridge,
    /// <summary>And <c>ring_ready</c> before the bridge (the behaviour contract's ringing).</summary>
    RingReadyAndBridge,
    /// <summary>
    /// And the daemon's session set-up written with <c>connect</c> (<c>myevents json</c>, its filters, <c>linger</c>)
    /// and event ids on the executes: the daemon's socket traffic for a one-phone ring group, without its decisions,
    /// its channel feed's processing or its call records.
    /// </summary>
    DaemonSocketTraffic,
}

/// <summary>
/// The floor of the outbound-socket design (issues 17 and 20): a server on the daemon's call port that does no more
/// than <see cref="FloorSteps"/> says, as fast as a raw socket allows, so what FreeSWITCH spends and how long the
/// first INVITE takes through it is what the <c>socket</c> application costs any server, ours included. The
/// dialplan's <c>multiset continue_on_fail=true hangup_after_bridge=true</c> runs before it, as for the daemon.
/// </summary>
public sealed class SocketFloorProbe : IAsyncDisposable
{
    private static readonly byte[] DisconnectNotice = Encoding.ASCII.GetBytes("text/disconnect-notice");
    private static readonly byte[] CommandReply = Encoding.ASCII.GetBytes("Content-Type: command/reply");
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _calls = [];
    private readonly string _bridgeTarget;
    private int _sessions;

    private SocketFloorProbe(int port, string bridgeTarget)
    {
        _bridgeTarget = bridgeTarget;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(512);
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>What each new call gets (a call keeps what it started with).</summary>
    public FloorSteps Steps { get; set; } = FloorSteps.Bridge;

    /// <summary>Calls handed to the probe so far.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <param name="bridgeTarget">The bridge's argument, as the native dialplan has it (FreeSWITCH expands its variables).</param>
    public static SocketFloorProbe Start(int port, string bridgeTarget) => new(port, bridgeTarget);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _sessions);
            var steps = Steps;
            lock (_calls)
            {
                _calls.RemoveAll(c => c.IsCompleted);
                _calls.Add(Task.Run(() => RunAsync(socket, steps)));
            }
        }
    }

    private async Task RunAsync(Socket socket, FloorSteps steps)
    {
        using var _ = socket;
        socket.NoDelay = true;
        var buffer = new byte[65536];
        try
        {
            // As the daemon does (EslOutboundSession.ConnectAndSetUpAsync): the set-up right behind connect.
            var connect = steps == FloorSteps.DaemonSocketTraffic
                ? "connect\n\nmyevents json\n\nfilter Event-Name CHANNEL_EXECUTE_COMPLETE\n\nfilter Event-Name CHANNEL_HANGUP\n\nlinger\n\n"
                : "connect\n\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(connect), _stop.Token);
            var executes = new StringBuilder();
            var eventId = steps == FloorSteps.DaemonSocketTraffic ? "event-uuid: e1\n" : string.Empty;
            if (steps != FloorSteps.Bridge)
            {
                executes.Append("sendmsg\ncall-command: execute\nexecute-app-name: ring_ready\n\n");
            }
            executes.Append("sendmsg\ncall-command: execute\nexecute-app-name: bridge\n").Append(eventId)
                .Append("content-type: text/plain\ncontent-length: ").Append(Encoding.UTF8.GetByteCount(_bridgeTarget)).Append("\n\n").Append(_bridgeTarget);
            // Replies come in order: connect's (the channel data) first, then the set-up's, then one per execute, the
            // bridge's once it returns (no async). A bridge that failed leaves the caller with us: hang up, as the
            // daemon does when a ring group has no child.
            var replies = 0;
            var lastReply = (steps == FloorSteps.DaemonSocketTraffic ? 5 : 1) + (steps == FloorSteps.Bridge ? 1 : 2);
            var carried = 0;
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(carried), _stop.Token);
                if (n == 0)
                {
                    return;
                }
                var (found, over) = Scan(buffer, carried + n, out carried);
                if (over)
                {
                    return;
                }
                for (var i = 0; i < found; i++)
                {
                    replies++;
                    if (replies == 1)
                    {
                        await socket.SendAsync(Encoding.UTF8.GetBytes(executes.ToString()), _stop.Token);
                    }
                    else if (replies == lastReply)
                    {
                        await socket.SendAsync("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"u8.ToArray(), _stop.Token);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Counts the replies in the first <paramref name="length"/> bytes and says whether the disconnect notice came;
    /// the last few bytes move to the front for the next read (<paramref name="carried"/>), so a marker cut in two
    /// is still found, and none counted twice.
    /// </summary>
    private static (int Replies, bool Over) Scan(byte[] buffer, int length, out int carried)
    {
        var seen = buffer.AsSpan(0, length);
        var replies = 0;
        for (var rest = seen; rest.IndexOf(CommandReply) is var at and >= 0; rest = rest[(at + CommandReply.Length)..])
        {
            replies++;
        }
        carried = Math.Min(length, CommandReply.Length - 1);
        var over = seen.IndexOf(DisconnectNotice) >= 0;
        seen[^carried..].CopyTo(buffer);
        return (replies, over);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] calls;
        lock (_calls)
        {
            calls = [.. _calls];
        }
        // Every session ends on the cancellation: none uses the token after it is disposed.
        await Task.WhenAll(calls);
        _stop.Dispose();
    }
}
