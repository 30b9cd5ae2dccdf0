using System.Collections.Concurrent;
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Esl.Internal;

/// <summary>
/// One ESL link: a read loop that frames and dispatches, a FIFO of commands awaiting replies, correlation
/// tables for bgapi jobs and executed applications, and per-subscriber bounded event queues.
/// Every failure path goes through <see cref="Abort"/>, which keeps the first reason.
/// </summary>
internal sealed partial class EslConnection : IAsyncDisposable
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly IDisposable? _transport;
    private readonly EslFrameLimits _limits;
    private HeaderSelection? _eventHeaders;
    private readonly ILogger _logger;
    // Never disposed, on purpose: a writer woken by Abort may still Release it after DisposeAsync returns, and a
    // SemaphoreSlim holds no OS handle unless AvailableWaitHandle is read, which nothing here does.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213:Disposable fields should be disposed", Justification = "See the comment above: disposing it would fail a late Release, and there is nothing to free.")]
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<ReplyBatch> _pendingReplies = new();
    // Made on first bgapi: a call session never sends one, and a thousand idle tables are a thousand for the GC to trace.
    private ConcurrentDictionary<string, TaskCompletionSource<EslEvent>>? _jobs;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<EslEvent>> _executions = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _authRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile EventSubscriber[] _subscribers = [];
    private Exception? _closeReason;
    // Set by Abort before it wakes the reader: tells a cancelled read that the connection is closing.
    private volatile bool _closing;
    private long _idleTimeoutTicks;
    // When a command last went out or a whole frame came in (Stopwatch timestamp): what tells an idle session.
    private long _lastActivity = System.Diagnostics.Stopwatch.GetTimestamp();
    // The event formats asked for with event/myevents, one bit per EslContentType; events in any other are not decoded.
    private int _requestedEventFormats;
    private int _unrequestedEvents;
    private Task _readLoop = Task.CompletedTask;

    public EslConnection(PipeReader input, PipeWriter output, IDisposable? transport, EslFrameLimits limits, ILogger logger, string connectionId)
    {
        _input = input;
        _output = output;
        _transport = transport;
        _limits = limits;
        _logger = logger;
        Id = connectionId;
    }

    public string Id { get; }

    /// <summary>Completes with the reason once the connection is closed, for whatever cause.</summary>
    public Task<Exception> Closed => _closed.Task;

    public bool IsClosed => Volatile.Read(ref _closeReason) is not null;

    public Task AuthRequested => _authRequested.Task;

    /// <summary>Sees every event on the reader before subscribers do. Must be quick and must not throw.</summary>
    public Action<EslEvent>? EventObserver { get; set; }

    public Action<EslFrame>? DisconnectNoticeObserver { get; set; }

    /// <summary>
    /// Runs once as the connection starts closing, before anything waiting on it can see it closed: no pending
    /// command, execution or <see cref="IsClosed"/> reader learns of the close before this has run. Runs under the
    /// connection's lock: it must be quick, must not throw and must not call back into the connection.
    /// </summary>
    public Action? ClosingObserver { get; set; }

    /// <summary>
    /// Whoever awaits a reply resumes on the read loop itself, with no thread-pool hop in between (see
    /// <see cref="Outbound.EslOutboundListenerOptions.ResumeHandlersOnReadLoop"/>, the one switch for it, and what a
    /// handler must not do then). A shared connection (inbound) keeps continuations off the read loop.
    /// </summary>
    public bool InlineReplyContinuations { get; init; }

    /// <summary>Events are decoded down to these headers from now on (null: all of them).</summary>
    public void SelectEventHeaders(HeaderSelection? selection) => Volatile.Write(ref _eventHeaders, selection);

    /// <summary>
    /// Silence longer than this (no bytes at all) means the link is dead. FreeSWITCH sends HEARTBEAT every
    /// 20 s to subscribers of it, so 60 s of silence is not a quiet switch but a lost one.
    /// </summary>
    public void SetIdleTimeout(TimeSpan? timeout)
    {
        Interlocked.Exchange(ref _idleTimeoutTicks, timeout?.Ticks ?? 0);
        // Wake the pending read so the next one is bounded by the new timeout.
        WakeReader();
    }

    public void Start() => _readLoop = Task.Run(ReadLoopAsync);

    /// <summary>Writes one command and waits for its reply (command/reply or api/response), in wire order.</summary>
    public async Task<EslFrame> SendAsync(string command, CancellationToken cancellationToken)
    {
        var reply = await SendAllAsync([EslCommand.Text(command)], cancellationToken).ConfigureAwait(false);
        return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes several commands with one lock and one flush, so they leave in one segment with no scheduling
    /// in between; returns their replies, awaited as one (see <see cref="ReplyBatch"/>). FreeSWITCH answers and
    /// runs them in order. <paramref name="cancellationToken"/> covers the write; to abandon waiting for the
    /// replies, await them with <c>WaitAsync</c> (then only replies still pending cost a cancellation registration).
    /// </summary>
    public async Task<ReplyBatch> SendAllAsync(EslCommand[] commands, CancellationToken cancellationToken)
    {
        var replies = new ReplyBatch(commands.Length, InlineReplyContinuations ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_pendingReplies)
            {
                ThrowIfClosed();
                // Enqueued in the same critical section as the write, so FIFO order is wire order.
                foreach (var command in commands)
                {
                    _pendingReplies.Enqueue(replies);
                    // Before the bytes go: the first event in that format may follow the reply at once.
                    RequestEventFormat(command);
                }
            }
            Volatile.Write(ref _lastActivity, System.Diagnostics.Stopwatch.GetTimestamp());
            foreach (var command in commands)
            {
                if (_logger.IsEnabled(LogLevel.Trace))
                {
                    LogSend(_logger, Id, Redact(command.ToString()));
                }
                command.WriteTo(_output);
            }
            // No token: Abort wakes a stuck flush with CancelPendingFlush and by closing the socket.
            var flush = await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                throw new EslConnectionClosedException("the connection is closed");
            }
        }
        catch (Exception ex) when (ex is not EslConnectionClosedException and not OperationCanceledException)
        {
            Abort(ex);
        }
        finally
        {
            _writeLock.Release();
        }
        // Abandoning a wait leaves the FIFO slots in place until the late replies are read and dropped.
        return replies;
    }

    /// <summary>Register before sending the bgapi, so a fast BACKGROUND_JOB is never missed.</summary>
    public Task<EslEvent> RegisterJob(string jobUuid) =>
        Register(LazyInitializer.EnsureInitialized(ref _jobs, () => new ConcurrentDictionary<string, TaskCompletionSource<EslEvent>>(StringComparer.Ordinal)), jobUuid);

    /// <summary>Register before sending the sendmsg, so a fast CHANNEL_EXECUTE_COMPLETE is never missed.</summary>
    public Task<EslEvent> RegisterExecution(string applicationUuid) => Register(_executions, applicationUuid);

    public void ForgetJob(string jobUuid) => _jobs?.TryRemove(jobUuid, out _);

    public void ForgetExecution(string applicationUuid) => _executions.TryRemove(applicationUuid, out _);

    /// <summary>
    /// Fails every execution still waiting for its completion: the call hung up <paramref name="grace"/> ago and
    /// FreeSWITCH skips any application a hung-up channel is sent, unless it is flagged zombie_exec (switch_core_session.c,
    /// switch_core_session_execute_application_get_flags: "Channel is hungup and application ... does not have the
    /// zombie_exec flag"), without a CHANNEL_EXECUTE_COMPLETE. A bridge sent as the caller hangs up is one; on a
    /// lingering socket nothing else would ever end its wait, and the channel would stay until the daemon closed it.
    /// </summary>
    public void GiveUpExecutions(TimeSpan grace)
    {
        if (_executions.IsEmpty)
        {
            return;
        }
        var count = _executions.Count;
        FailAll(_executions, new EslConnectionClosedException($"the call hung up and FreeSWITCH did not complete the application within {grace.TotalSeconds:0.###} s (it runs none on a hung-up channel)"));
        LogExecutionsGivenUp(_logger, Id, count, grace);
    }

    public EventSubscriber Subscribe(Func<EslEvent, bool>? filter, int capacity, Action<long>? overflowed = null)
    {
        var subscriber = new EventSubscriber(this, filter, capacity, overflowed);
        lock (_pendingReplies)
        {
            if (_closeReason is not null)
            {
                subscriber.Complete();
                return subscriber;
            }
            _subscribers = [.. _subscribers, subscriber];
        }
        return subscriber;
    }

    public void Unsubscribe(EventSubscriber subscriber)
    {
        lock (_pendingReplies)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscriber));
        }
        subscriber.Complete();
    }

    /// <summary>
    /// True when no command went out and no whole frame came in for <paramref name="idle"/> (bytes of a frame that
    /// never ends do not count), and FreeSWITCH owes nothing that may
    /// legitimately take that long. It may: an application it accepted and still runs (a bridge is silent for the
    /// whole call, hours perhaps) and a bgapi job. A command reply does not count: FreeSWITCH answers a command at
    /// once, so one still missing after <paramref name="idle"/> is a peer that stopped answering.
    /// </summary>
    public bool IsIdle(TimeSpan idle)
    {
        if (System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity)) < idle)
        {
            return false;
        }
        lock (_pendingReplies)
        {
            return _pendingReplies.Count > 0 || (_executions.IsEmpty && (_jobs?.IsEmpty ?? true));
        }
    }

    /// <summary>Closes the link once; the first reason is kept and handed to everything still waiting.</summary>
    public void Abort(Exception reason)
    {
        ReplyBatch[] replies;
        EventSubscriber[] subscribers;
        lock (_pendingReplies)
        {
            if (_closeReason is not null)
            {
                return;
            }
            // First of all: a call session's handler that sees a command fail must find its call ended already
            // (a caller hanging up closes the socket; that is no error).
            ClosingObserver?.Invoke();
            _closeReason = reason;
            replies = [.. _pendingReplies];
            _pendingReplies.Clear();
            subscribers = _subscribers;
            _subscribers = [];
        }

        if (reason is EslProtocolException)
        {
            LogProtocolError(_logger, Id, reason.Message);
        }
        else
        {
            LogClosed(_logger, Id, reason.Message);
        }

        var failure = reason as EslConnectionClosedException ?? new EslConnectionClosedException($"ESL connection closed: {reason.Message}", reason);
        FailAll(_jobs, failure);
        FailAll(_executions, failure);
        foreach (var subscriber in subscribers)
        {
            subscriber.Complete();
        }

        _closing = true;
        WakeReader();
        try
        {
            _output.CancelPendingFlush();
        }
        catch (ObjectDisposedException)
        {
            // Writer already completed.
        }
        _transport?.Dispose();
        _closed.TrySetResult(reason);
        // Last, so a waiter resuming finds the connection closed. With inline reply continuations it would resume inside
        // this call, on whatever thread aborts (the listener's idle sweep or drain, a disposer, another caller's write):
        // the replies are failed from the thread pool instead, so handler code never runs inside Abort.
        if (InlineReplyContinuations && replies.Length > 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => FailReplies(state.replies, state.failure), (replies, failure), preferLocal: false);
        }
        else
        {
            FailReplies(replies, failure);
        }
    }

    private static void FailReplies(ReplyBatch[] replies, Exception failure)
    {
        foreach (var reply in replies)
        {
            reply.TrySetException(failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Abort(new EslConnectionClosedException("the connection was disposed"));
        // The write lock is left to the GC (see its field): a late writer may still be releasing it.
        await _readLoop.ConfigureAwait(false);
    }

    private Task<EslEvent> Register(ConcurrentDictionary<string, TaskCompletionSource<EslEvent>> table, string key)
    {
        var completion = new TaskCompletionSource<EslEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        table[key] = completion;
        if (Volatile.Read(ref _closeReason) is { } reason)
        {
            table.TryRemove(key, out _);
            completion.TrySetException(new EslConnectionClosedException($"ESL connection closed: {reason.Message}", reason));
        }
        return completion.Task;
    }

    private static void FailAll(ConcurrentDictionary<string, TaskCompletionSource<EslEvent>>? table, Exception failure)
    {
        if (table is null)
        {
            return;
        }
        foreach (var key in table.Keys)
        {
            if (table.TryRemove(key, out var completion))
            {
                completion.TrySetException(failure);
            }
        }
    }

    private void ThrowIfClosed()
    {
        if (_closeReason is { } reason)
        {
            throw reason as EslConnectionClosedException ?? new EslConnectionClosedException($"ESL connection closed: {reason.Message}", reason);
        }
    }

    private void WakeReader()
    {
        try
        {
            _input.CancelPendingRead();
        }
        catch (ObjectDisposedException)
        {
            // The read loop has already completed the reader.
        }
    }

    /// <summary>
    /// Notes the event format a command asks for, as mod_event_socket.c <c>parse_command</c> reads it: <c>event</c>
    /// takes it from its first word, <c>myevents</c> finds "json" or "xml" anywhere in the command. Without one the
    /// connection's format stays what it was: plain, at first.
    /// </summary>
    private void RequestEventFormat(EslCommand command)
    {
        if (command.PlainText is not { } text)
        {
            return;
        }
        EslContentType? format = null;
        if (text.StartsWith("myevents", StringComparison.OrdinalIgnoreCase))
        {
            format = text.Contains("json", StringComparison.OrdinalIgnoreCase) ? EslContentType.EventJson
                : text.Contains("xml", StringComparison.OrdinalIgnoreCase) ? EslContentType.EventXml
                : null;
        }
        else if (text.StartsWith("event", StringComparison.OrdinalIgnoreCase))
        {
            var words = text.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            format = words.Length < 2 ? null : words[1].ToLowerInvariant() switch
            {
                "json" => EslContentType.EventJson,
                "xml" => EslContentType.EventXml,
                "plain" => EslContentType.EventPlain,
                _ => null,
            };
        }
        else
        {
            return;
        }
        var bits = format is { } asked ? FormatBit(asked) : (_requestedEventFormats == 0 ? FormatBit(EslContentType.EventPlain) : 0);
        _requestedEventFormats |= bits;
    }

    private bool IsRequested(EslContentType eventFormat) => (Volatile.Read(ref _requestedEventFormats) & FormatBit(eventFormat)) != 0;

    private static int FormatBit(EslContentType type) => 1 << (int)type;

    private static string Redact(string command) =>
        command.StartsWith("auth ", StringComparison.Ordinal) ? "auth ********" : command;
}
