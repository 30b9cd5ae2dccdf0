using System.Net.Sockets;
using System.Text;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>
/// Records the raw bytes of an inbound event-socket session in the Transcripts format (tests/EslCallflow.Testing/
/// Transcripts/README.md): what was sent, and each read exactly as it arrived. Opt-in: a test writes one only when
/// <c>ESLCALLFLOW_CAPTURE_DIR</c> names a folder, so the fake switch can be taught what the real one did.
/// </summary>
public sealed class WireCapture : IAsyncDisposable
{
    public const string Variable = "ESLCALLFLOW_CAPTURE_DIR";

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly StringBuilder _transcript = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private WireCapture(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>The folder to write captures into, or null when capturing is not asked for.</summary>
    public static string? Folder => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } folder ? folder : null;

    /// <summary>Logs in and subscribes to <paramref name="events"/> in json; everything from the greeting on is recorded.</summary>
    public static async Task<WireCapture> StartAsync(int port, string password, string events, CancellationToken cancellationToken)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, cancellationToken);
        var capture = new WireCapture(client);
        await Task.Delay(100, cancellationToken);
        await capture.SendAsync($"auth {password}\n\n", redacted: "auth ClueCon\n\n", cancellationToken);
        await Task.Delay(100, cancellationToken);
        await capture.SendAsync($"event json {events}\n\n", null, cancellationToken);
        await Task.Delay(200, cancellationToken);
        return capture;
    }

    private async Task SendAsync(string text, string? redacted, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        lock (_transcript)
        {
            // The password is the suite's own; the transcript shows FreeSWITCH's default in its place.
            _transcript.Append(">>> SENT ").Append(bytes.Length).Append(" bytes\n").Append(redacted ?? text).Append("\n<<< END\n");
        }
        await _stream.WriteAsync(bytes, cancellationToken);
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }
                lock (_transcript)
                {
                    _transcript.Append("<<< RECV ").Append(read).Append(" bytes\n").Append(Encoding.UTF8.GetString(buffer, 0, read)).Append("\n<<< END\n");
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops and writes the transcript, with <paramref name="notes"/> as <c>###</c> lines first.</summary>
    public async Task SaveAsync(string path, IEnumerable<string> notes)
    {
        await _stop.CancelAsync();
        _client.Dispose();
        await _reading;
        var text = new StringBuilder();
        foreach (var note in notes)
        {
            text.Append("### ").Append(note).Append('\n');
        }
        lock (_transcript)
        {
            text.Append(_transcript);
        }
        await File.WriteAllTextAsync(path, text.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _client.Dispose();
        await _reading;
        _stop.Dispose();
    }
}
