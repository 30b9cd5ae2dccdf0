using System.Net.Sockets;
using System.Text;

namespace EslCallflow.Testing;

/// <summary>The switch's side of one TCP connection: reads client commands (blocks ended by a blank line), writes bytes.</summary>
public sealed class FakeSocket : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly List<byte> _pending = [];
    private readonly byte[] _buffer = new byte[16 * 1024];

    public FakeSocket(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public bool IsClosed { get; private set; }

    /// <summary>The next command (without its terminating blank line), or null once the client closed.</summary>
    public async Task<string?> ReadCommandAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var text = Encoding.UTF8.GetString(_pending.ToArray());
            var end = text.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var consumed = Encoding.UTF8.GetByteCount(text[..(end + 2)]);
                _pending.RemoveRange(0, consumed);
                return text[..end];
            }
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
                read = 0;
            }
            if (read == 0)
            {
                IsClosed = true;
                return null;
            }
            _pending.AddRange(_buffer.AsSpan(0, read).ToArray());
        }
    }

    public async Task SendAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            if (!IsClosed)
            {
                await _stream.WriteAsync(bytes);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            IsClosed = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Drops the connection without a goodbye, as a crashing switch or a cut cable would.</summary>
    public void Drop()
    {
        IsClosed = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (ObjectDisposedException)
        {
        }
        _stream.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Drop();
        return ValueTask.CompletedTask;
    }
}
