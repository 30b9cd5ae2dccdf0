using System.Net;

namespace EslCallflow.Load;

/// <summary>
/// A webhook receiver that takes its time (<c>--slow-hook-ms</c>): every POST is answered 200 after the delay, as a
/// CRM on a slow link would. It shows whether call decisions wait for hooks (they must not).
/// </summary>
internal sealed class SlowHook : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly TimeSpan _delay;
    private long _received;

    public SlowHook(int port, TimeSpan delay)
    {
        _delay = delay;
        Url = $"http://127.0.0.1:{port}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public string Url { get; }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>The daemon's settings for this hook (all events, default retries and concurrency).</summary>
    public string[] DaemonArgs =>
    [
        "--CallRecords:Webhooks:0:Name=slow",
        $"--CallRecords:Webhooks:0:Url={Url}",
        "--CallRecords:Webhooks:0:Secret=load-harness-hook-secret",
        "--CallRecords:Webhooks:0:Timeout=00:00:10",
    ];

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                await context.Request.InputStream.CopyToAsync(Stream.Null);
                await Task.Delay(_delay);
                Interlocked.Increment(ref _received);
                context.Response.StatusCode = 200;
                context.Response.Close();
            });
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
