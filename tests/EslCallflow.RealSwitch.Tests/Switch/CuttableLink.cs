using System.Net;
using System.Net.Sockets;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>
/// A TCP relay between the daemon and the switch's event socket that the test can cut, as a network fault,
/// a firewall or a switch-side close would: both ends see their connection reset. (This kernel cannot
/// destroy another process's socket with <c>ss -K</c>, and FreeSWITCH has no command that closes one inbound
/// event socket connection without also ending the calls' outbound sessions.)
/// </summary>
public sealed class CuttableLink : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Socket Inside, Socket Outside)> _links = [];
    private readonly Task _accepting;

    public CuttableLink(int targetPort)
    {
        _target = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public int Connections
    {
        get
        {
            lock (_links)
            {
                return _links.Count;
            }
        }
    }

    /// <summary>Resets every connection relayed so far (RST both ways); new connections are relayed again.</summary>
    public void Cut()
    {
        lock (_links)
        {
            foreach (var socket in _links.SelectMany(l => new[] { l.Inside, l.Outside }))
            {
                try
                {
                    // Linger 0: close sends RST, as a link that breaks does, not a polite FIN.
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                {
                    // That side was already closed by its peer.
                }
                socket.Dispose();
            }
            _links.Clear();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inside;
            try
            {
                inside = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var outside = new TcpClient();
            try
            {
                await outside.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                inside.Dispose();
                outside.Dispose();
                continue;
            }
            lock (_links)
            {
                _links.Add((inside.Client, outside.Client));
            }
            _ = PumpAsync(inside, outside);
            _ = PumpAsync(outside, inside);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
        }
        from.Dispose();
        to.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
