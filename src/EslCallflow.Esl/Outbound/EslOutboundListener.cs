using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using EslCallflow.Esl.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EslCallflow.Esl.Outbound;

/// <summary>
/// Accepts FreeSWITCH's outbound connections (one per call), performs <c>connect</c>, <c>myevents</c> and
/// <c>linger</c>, then runs the handler. Stopping unbinds first, lets sessions finish until the stop token
/// fires, then aborts the rest (Kestrel's sequence).
/// </summary>
public sealed partial class EslOutboundListener : IAsyncDisposable
{
    private readonly EslOutboundListenerOptions _options;
    private readonly Func<EslOutboundSession, CancellationToken, Task> _handler;
    private readonly ILogger _logger;
    private readonly PeerAllowList _allowList;
    private readonly EslCommand[] _setUpCommands;
    private readonly ConcurrentDictionary<int, (Task Task, EslOutboundSession Session)> _sessions = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly CancellationTokenSource _abortSessions = new();
    private readonly CancellationTokenSource _stopSweeping = new();
    private Socket? _listenSocket;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _idleSweep = Task.CompletedTask;
    private KeyValuePair<string, object?> _portTag;
    private int _nextId;
    private int _disposed;

    public EslOutboundListener(EslOutboundListenerOptions options, Func<EslOutboundSession, CancellationToken, Task> handler, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _handler = handler;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EslOutboundListener>();
        _allowList = new PeerAllowList(options.AllowedPeers);
        _setUpCommands = EslOutboundSession.SetUpCommands(options.EventFormat, options.Linger, options.SessionEvents);
    }

    public IPEndPoint? LocalEndPoint => _listenSocket?.LocalEndPoint as IPEndPoint;

    public int ActiveSessions => _sessions.Count;

    /// <summary>True while bound and accepting.</summary>
    public bool IsAccepting => _listenSocket is not null && !_stopAccepting.IsCancellationRequested && !_acceptLoop.IsCompleted;

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(_options.Address), _options.Port);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InvalidOperationException($"cannot listen for FreeSWITCH outbound sockets on {endpoint}: {ex.Message}", ex);
        }
        _listenSocket = socket;
        _portTag = new KeyValuePair<string, object?>("server.port", LocalEndPoint!.Port);
        LogListening(_logger, LocalEndPoint!.ToString());
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        if (_options.SessionIdleTimeout > TimeSpan.Zero)
        {
            _idleSweep = Task.Run(() => SweepIdleSessionsAsync(_options.SessionIdleTimeout), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, waits for sessions until <paramref name="cancellationToken"/> fires, then aborts them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        _listenSocket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        var running = _sessions.Values.Select(s => s.Task).ToArray();
        if (running.Length > 0)
        {
            LogDraining(_logger, running.Length);
        }
        try
        {
            await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogAborting(_logger, _sessions.Count);
            await _abortSessions.CancelAsync().ConfigureAwait(false);
            foreach (var (_, session) in _sessions.Values)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
            await Task.WhenAll(_sessions.Values.Select(s => s.Task)).ConfigureAwait(false);
        }
        await _stopSweeping.CancelAsync().ConfigureAwait(false);
        await _idleSweep.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // The host may stop and then dispose; dispose runs once.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        using (var immediate = new CancellationTokenSource(TimeSpan.Zero))
        {
            await StopAsync(immediate.Token).ConfigureAwait(false);
        }
        // StopAsync has awaited the accept loop, every session and the sweep: nothing reads these any more.
        _stopAccepting.Dispose();
        _abortSessions.Dispose();
        _stopSweeping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopAccepting.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listenSocket!.AcceptAsync(_stopAccepting.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopAccepting.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptError(_logger, ex.Message);
                continue;
            }

            try
            {
                HandOff(socket);
            }
            catch (Exception ex)
            {
                // Whatever goes wrong with one connection ends that connection, never the accept loop: a listener
                // that stopped accepting would silently refuse every later call.
                LogHandOffFailed(_logger, ex);
                socket.Dispose();
            }
        }
    }

    /// <summary>Checks one accepted connection against the allow list and the session cap and starts its session.</summary>
    /// <remarks>The session it makes belongs to <see cref="RunSessionAsync"/> from the next statement on; that method's finally disposes it.</remarks>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "Ownership passes to RunSessionAsync, which disposes the session in its finally (see remarks).")]
    private void HandOff(Socket socket)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        if (!_allowList.IsAllowed(remote.Address))
        {
            LogRejectedPeer(_logger, remote.ToString());
            Refused("peer_not_allowed");
            socket.Dispose();
            return;
        }
        if (_sessions.Count >= _options.MaxSessions)
        {
            LogTooManySessions(_logger, remote.ToString(), _options.MaxSessions);
            Refused("max_sessions");
            socket.Dispose();
            return;
        }

        var id = Interlocked.Increment(ref _nextId);
        EslOutboundSession session;
        try
        {
            session = EslOutboundSession.Create(socket, _options, _logger, "out-" + id, _portTag);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // A peer that reset between accept and here (a port probe): not worth more than a line.
            LogBadConnection(_logger, "out-" + id, remote.ToString(), ex.Message);
            Closed("handshake");
            socket.Dispose();
            return;
        }
        var started = new TaskCompletionSource();
        var task = RunSessionAsync(id, session, started.Task);
        _sessions[id] = (task, session);
        started.SetResult();
    }

    private async Task RunSessionAsync(int id, EslOutboundSession session, Task registered)
    {
        // Resumed inside HandOff, on the accept loop, once the session is registered: connect and the set-up are
        // written from here at once (a write to a fresh socket does not block), and the first await that waits for
        // FreeSWITCH hands the accept loop back. One thread-pool hop fewer before the
        // call's first byte goes out (post-dial delay, BENCHMARKS.md).
        await registered.ConfigureAwait(false);
        var reported = false;
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_abortSessions.Token);
            handshake.CancelAfter(_options.HandshakeTimeout);
            Task setUp;
            try
            {
                setUp = await session.ConnectAndSetUpAsync(_setUpCommands, handshake.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is EslConnectionClosedException or EslProtocolException or EslCommandException)
            {
                // Never a call: a port probe, a peer that closed at once, garbage, a connect reply without a UUID.
                // One line with who and why; a stack trace would say nothing more.
                LogBadConnection(_logger, session.ConnectionId, session.RemoteEndPoint.ToString(), ex.Message);
                Closed(LimitHit(session) ? "frame_limit" : "handshake");
                session.Refuse(ex);
                reported = true;
                return;
            }
            // Written with connect, so FreeSWITCH applies myevents and the filters before any sendmsg of the
            // handler and nothing waits a round trip before the call's decision goes out. Should the set-up be
            // refused, the session is closed, which ends whatever the handler waits for.
            _ = setUp.ContinueWith(_ => session.DisposeAsync().AsTask(), CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
            await _handler(session, _abortSessions.Token).ConfigureAwait(false);
            await setUp.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abortSessions.IsCancellationRequested)
        {
            LogSessionAborted(_logger, session.ConnectionId, SafeUuid(session));
        }
        catch (OperationCanceledException)
        {
            LogHandshakeTimeout(_logger, session.ConnectionId, session.RemoteEndPoint.ToString());
            Closed("handshake");
            reported = true;
        }
        catch (EslConnectionClosedException ex) when (session.CallEnded.IsCancellationRequested)
        {
            // The handler let a closed connection through: the call is over (the caller hung up, or the session
            // was closed for a reason reported below). Not a handler fault.
            LogSessionEndedWithCall(_logger, session.ConnectionId, SafeUuid(session), ex.Message);
        }
        catch (Exception ex)
        {
            LogSessionFailed(_logger, ex, session.ConnectionId, SafeUuid(session), ex.Message);
        }
        finally
        {
            await session.DisposeAsync().ConfigureAwait(false);
            _sessions.TryRemove(id, out _);
            if (!reported)
            {
                await ReportBadPeerAsync(session).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A session cut for what its peer sent (too much, or not ESL) says so once, at warning level.</summary>
    private async Task ReportBadPeerAsync(EslOutboundSession session)
    {
        if (await session.Completion.ConfigureAwait(false) is EslProtocolException reason)
        {
            LogSessionProtocolError(_logger, session.ConnectionId, SafeUuid(session), session.RemoteEndPoint.ToString(), reason.Message);
            Closed(reason.ExceedsLimit ? "frame_limit" : "protocol_error");
        }
    }

    private static bool LimitHit(EslOutboundSession session) =>
        session.Completion is { IsCompletedSuccessfully: true, Result: EslProtocolException { ExceedsLimit: true } };

    /// <summary>
    /// Closes sessions without call activity (see <see cref="EslOutboundListenerOptions.SessionIdleTimeout"/>).
    /// One sweep for all sessions, a few times per timeout: a timer per session would cost more than it saves.
    /// </summary>
    private async Task SweepIdleSessionsAsync(TimeSpan idle)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(5).Ticks));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopSweeping.Token).ConfigureAwait(false))
            {
                foreach (var (_, session) in _sessions.Values)
                {
                    if (session.CloseIfIdle(idle))
                    {
                        LogIdleSession(_logger, session.ConnectionId, SafeUuid(session), session.RemoteEndPoint.ToString(), idle.TotalSeconds);
                        Closed("idle");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Listener stopped.
        }
    }

    private void Refused(string reason) => EslMetrics.SessionsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason), _portTag);

    private void Closed(string reason) => EslMetrics.SessionsClosed.Add(1, new KeyValuePair<string, object?>("reason", reason), _portTag);

    private static string SafeUuid(EslOutboundSession session)
    {
        try
        {
            return session.UniqueId;
        }
        catch (InvalidOperationException)
        {
            return "(before connect)";
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Listening for FreeSWITCH outbound sockets on {Endpoint}")]
    private static partial void LogListening(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Refused outbound socket from {Peer}: not in AllowedPeers")]
    private static partial void LogRejectedPeer(ILogger logger, string peer);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Error, Message = "Outbound session {ConnectionId} for call {CallUuid} failed: {Reason}")]
    private static partial void LogSessionFailed(ILogger logger, Exception ex, string connectionId, string callUuid, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Outbound session {ConnectionId} from {Peer}: no connect/myevents/linger reply in time")]
    private static partial void LogHandshakeTimeout(ILogger logger, string connectionId, string peer);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Stopped accepting calls; waiting for {Count} call(s) in progress")]
    private static partial void LogDraining(ILogger logger, int count);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Drain timeout: closing {Count} call session(s) still running")]
    private static partial void LogAborting(ILogger logger, int count);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "Outbound session {ConnectionId} for call {CallUuid} aborted by shutdown")]
    private static partial void LogSessionAborted(ILogger logger, string connectionId, string callUuid);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Error, Message = "Accepting an outbound socket failed: {Reason}")]
    private static partial void LogAcceptError(ILogger logger, string reason);

    [LoggerMessage(EventId = 1214, Level = LogLevel.Error, Message = "An accepted outbound socket could not be handed to a session; it is closed and the listener goes on")]
    private static partial void LogHandOffFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Warning, Message = "Refused outbound socket from {Peer}: {MaxSessions} sessions already open (Esl:Outbound:MaxSessions)")]
    private static partial void LogTooManySessions(ILogger logger, string peer, int maxSessions);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Warning, Message = "Outbound connection {ConnectionId} from {Peer} closed before a call started: {Reason}")]
    private static partial void LogBadConnection(ILogger logger, string connectionId, string peer, string reason);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "Outbound session {ConnectionId} for call {CallUuid} from {Peer}: no call activity for {IdleSeconds} s (Esl:Outbound:SessionIdleTimeout); closing it")]
    private static partial void LogIdleSession(ILogger logger, string connectionId, string callUuid, string peer, double idleSeconds);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Warning, Message = "Outbound session {ConnectionId} for call {CallUuid} from {Peer} closed: {Reason}")]
    private static partial void LogSessionProtocolError(ILogger logger, string connectionId, string callUuid, string peer, string reason);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Debug, Message = "Outbound session {ConnectionId} for call {CallUuid} ended with its call: {Reason}")]
    private static partial void LogSessionEndedWithCall(ILogger logger, string connectionId, string callUuid, string reason);
}
