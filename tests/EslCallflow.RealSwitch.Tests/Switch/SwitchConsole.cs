using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>
/// The suite's own console on FreeSWITCH's event socket (what fs_cli does): authenticate, run an <c>api</c>
/// command, read its reply. Written here rather than taken from the daemon's ESL library, so the suite
/// checks the daemon without relying on its code.
/// </summary>
public sealed class SwitchConsole : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _buffer = new byte[65536];
    private int _start;
    private int _end;

    private SwitchConsole(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<SwitchConsole> ConnectAsync(int port, string password, CancellationToken cancellationToken)
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            var console = new SwitchConsole(client);
            var (greeting, _) = await console.ReadFrameAsync(cancellationToken);
            if (greeting.GetValueOrDefault("Content-Type") != "auth/request")
            {
                throw new IOException("no auth/request from the event socket");
            }
            await console.WriteAsync($"auth {password}\n\n", cancellationToken);
            var (reply, _) = await console.ReadFrameAsync(cancellationToken);
            if (!(reply.GetValueOrDefault("Reply-Text") ?? string.Empty).StartsWith("+OK", StringComparison.Ordinal))
            {
                throw new IOException("event socket refused the password: " + reply.GetValueOrDefault("Reply-Text"));
            }
            return console;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>api <paramref name="command"/></c> and returns its text.</summary>
    public async Task<string> ApiAsync(string command, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await WriteAsync($"api {command}\n\n", cancellationToken);
            while (true)
            {
                var (headers, body) = await ReadFrameAsync(cancellationToken);
                if (headers.GetValueOrDefault("Content-Type") == "api/response")
                {
                    return body;
                }
                if (headers.GetValueOrDefault("Content-Type") == "text/disconnect-notice")
                {
                    throw new IOException("the switch closed the event socket");
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary><c>event plain &lt;names&gt;</c> (or <paramref name="format"/>) on this console (use one console for events and another for api).</summary>
    public async Task SubscribeAsync(string eventNames, CancellationToken cancellationToken, string format = "plain")
    {
        await WriteAsync($"event {format} {eventNames}\n\n", cancellationToken);
        var (reply, _) = await ReadFrameAsync(cancellationToken);
        if (!(reply.GetValueOrDefault("Reply-Text") ?? string.Empty).StartsWith("+OK", StringComparison.Ordinal))
        {
            throw new IOException($"event {eventNames} refused: " + reply.GetValueOrDefault("Reply-Text"));
        }
    }

    /// <summary>Reads and drops whatever comes until cancelled or closed: a subscriber that costs the switch what a real one does.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _stream.ReadAsync(_buffer, cancellationToken) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The next event (text/event-plain): its headers, URL-decoded, and its own body if it has one.</summary>
    public async Task<(Dictionary<string, string> Headers, string? Body)> ReadEventAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (frame, text) = await ReadFrameAsync(cancellationToken);
            if (frame.GetValueOrDefault("Content-Type") != "text/event-plain")
            {
                continue;
            }
            var split = text.IndexOf("\n\n", StringComparison.Ordinal);
            var head = split >= 0 ? text[..split] : text;
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in head.Split('\n'))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    headers[line[..colon]] = Uri.UnescapeDataString(line[(colon + 1)..].Trim());
                }
            }
            return (headers, split >= 0 ? text[(split + 2)..] : null);
        }
    }

    private async Task WriteAsync(string text, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    private async Task<(Dictionary<string, string> Headers, string Body)> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line.Length == 0)
            {
                if (headers.Count == 0)
                {
                    continue;
                }
                break;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }
        var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        for (var read = 0; read < length;)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }
            var n = Math.Min(length - read, _end - _start);
            Array.Copy(_buffer, _start, body, read, n);
            _start += n;
            read += n;
        }
        return (headers, Encoding.UTF8.GetString(body));
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }
            var b = _buffer[_start++];
            if (b == '\n')
            {
                return Encoding.UTF8.GetString([.. line]);
            }
            line.Add(b);
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _stream.ReadAsync(_buffer, cancellationToken);
        if (_end == 0)
        {
            throw new IOException("the event socket closed");
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
