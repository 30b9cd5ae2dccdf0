using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using EslCallflow.Esl.Internal;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Esl;

/// <summary>What inbound and outbound connections share: api, bgapi, raw commands and the event stream.</summary>
public abstract class EslSocket : IAsyncDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(1);
    private const int BusyReadBytes = 64 * 1024;
    private readonly int _eventQueueCapacity;

    private protected EslSocket(EslConnection connection, int eventQueueCapacity)
    {
        Connection = connection;
        _eventQueueCapacity = eventQueueCapacity;
    }

    private protected EslConnection Connection { get; }

    /// <summary>A short id for logs (not the channel UUID).</summary>
    public string ConnectionId => Connection.Id;

    public bool IsConnected => !Connection.IsClosed;

    /// <summary>Completes with the reason the connection closed.</summary>
    public Task<Exception> Completion => Connection.Closed;

    /// <summary>Runs a blocking API command; returns its body, or throws <see cref="EslCommandException"/> on <c>-ERR</c>.</summary>
    public async Task<string> ApiAsync(string command, CancellationToken cancellationToken = default)
    {
        EslCommandText.EnsureSingleLine(command, nameof(command));
        var reply = await Connection.SendAsync("api " + command, cancellationToken).ConfigureAwait(false);
        var body = reply.ContentType == EslContentType.ApiResponse ? reply.BodyText : reply.ReplyText;
        if (body.StartsWith("-ERR", StringComparison.Ordinal))
        {
            throw new EslCommandException(command, body.Trim());
        }
        return body;
    }

    /// <summary>Runs an API command in the background and waits for its BACKGROUND_JOB (matched by our Job-UUID).</summary>
    public async Task<EslBackgroundJobResult> BgApiAsync(string command, CancellationToken cancellationToken = default)
    {
        EslCommandText.EnsureSingleLine(command, nameof(command));
        var jobUuid = Guid.NewGuid().ToString();
        var completion = Connection.RegisterJob(jobUuid);
        try
        {
            var reply = await Connection.SendAsync($"bgapi {command}\nJob-UUID: {jobUuid}", cancellationToken).ConfigureAwait(false);
            if (!reply.IsOk)
            {
                throw new EslCommandException(command, reply.ReplyText);
            }
            var job = await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new EslBackgroundJobResult(jobUuid, job.Body ?? string.Empty);
        }
        finally
        {
            Connection.ForgetJob(jobUuid);
        }
    }

    /// <summary>From now on, events are decoded down to these headers (see <see cref="Inbound.EslSubscription.EventHeaders"/>); null keeps all.</summary>
    internal void KeepOnlyEventHeaders(IEnumerable<string>? headerNames) =>
        Connection.SelectEventHeaders(headerNames is null ? null : new HeaderSelection(headerNames));

    /// <summary>
    /// Events as they arrive, optionally filtered. Each call gets its own bounded queue (oldest dropped when
    /// the consumer falls behind), which exists from this call on, not from the first read: open it before
    /// sending <c>event</c> and nothing FreeSWITCH sends in between is missed. The sequence ends when the
    /// connection closes.
    /// </summary>
    public IAsyncEnumerable<EslEvent> ReadEventsAsync(Func<EslEvent, bool>? filter = null, CancellationToken cancellationToken = default) =>
        ReadEvents(filter, overflowed: null, cancellationToken);

    /// <summary>As <see cref="ReadEventsAsync"/>; <paramref name="overflowed"/> hears of each event dropped (with the total so far).</summary>
    internal IAsyncEnumerable<EslEvent> ReadEvents(Func<EslEvent, bool>? filter, Action<long>? overflowed, CancellationToken cancellationToken) =>
        Drain(Connection.Subscribe(filter, _eventQueueCapacity, overflowed), cancellationToken);

    /// <summary>Closes the link at once with <paramref name="reason"/>; everything waiting on it fails with that reason.</summary>
    internal void Abort(string reason) => Connection.Abort(new EslConnectionClosedException(reason));

    private static async IAsyncEnumerable<EslEvent> Drain(EventSubscriber subscriber, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await subscriber.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (subscriber.Reader.TryRead(out var evt))
                {
                    yield return evt;
                }
            }
        }
        finally
        {
            subscriber.Dispose();
        }
    }

    /// <summary>Sends <c>exit</c> (briefly), then closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Connection.IsClosed)
        {
            try
            {
                using var timeout = new CancellationTokenSource(ExitTimeout);
                await Connection.SendAsync("exit", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is EslConnectionClosedException or OperationCanceledException or EslProtocolException)
            {
                // Closing anyway.
            }
        }
        await Connection.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private protected static EslConnection CreateConnection(Socket socket, EslFrameLimits limits, ILogger logger, string id, bool busy, bool inlineReplyContinuations = false)
    {
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: true);
        var connection = new EslConnection(
            busy
                // The event feed (thousands of ~6 KB events a second): large reads, so one receive takes in what
                // has arrived instead of one 4 KB read after another.
                ? PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: BusyReadBytes, minimumReadSize: BusyReadBytes / 4, leaveOpen: true))
                // A call's session, quiet but for a few replies and events: zero-byte reads, so it waits for data
                // without holding a buffer, and a thousand calls do not each pin 4 KB from the pool (or, once the
                // pool runs dry, a fresh array per call).
                : PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true, useZeroByteReads: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)),
            stream,
            limits,
            logger,
            id)
        {
            InlineReplyContinuations = inlineReplyContinuations,
        };
        connection.Start();
        return connection;
    }

    private protected static async Task ExpectOkAsync(EslConnection connection, string command, CancellationToken cancellationToken)
    {
        var reply = await connection.SendAsync(command, cancellationToken).ConfigureAwait(false);
        if (!reply.IsOk)
        {
            throw new EslCommandException(command, reply.ReplyText);
        }
    }
}
