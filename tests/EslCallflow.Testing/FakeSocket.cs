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

    /// <summary>
    /// The next command (without its terminating blank line), or null once the client closed. A command with a
    /// Content-Length header (sendevent) is followed by that many bytes of body, as mod_event_socket.c's read_packet
    /// reads them: returned after the headers and a blank line.
    /// </summary>
    public async Task<string?> ReadCommandAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var text = Encoding.UTF8.GetString(_pending.ToArray());
            var end = text.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var headerBytes = Encoding.UTF8.GetByteCount(text[..(end + 2)]);
                var length = text[..end].Split('\n').Skip(1).Select(l => l.Split(": ", 2))
                    .Where(p => p.Length == 2 && p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                if (length > 0)
                {
                    if (_pending.Count < headerBytes + length)
                    {
                        if (!await ReadMoreAsync(cancellationToken))
                        {
                            return null;
                        }
                        continue;
                    }
                    var body = Encoding.UTF8.GetString(_pending.GetRange(headerBytes, length).ToArray());
                    _pending.RemoveRange(0, headerBytes + length);
                    return text[..end] + "\n\n" + body;
                }
                _pending.RemoveRange(0, headerBytes);
                return text[..end];
            }
            if (!await ReadMoreAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    private async Task<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        {
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
                return false;
            }
            _pending.AddRange(_buffer.AsSpan(0, read).ToArray());
            return true;
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
