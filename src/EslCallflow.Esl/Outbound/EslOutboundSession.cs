using System.Net;
using System.Net.Sockets;
using EslCallflow.Esl.Internal;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Esl.Outbound;

/// <summary>
/// One call handed to us by FreeSWITCH's <c>socket</c> application (<c>full</c>, with or without <c>async</c>: without it
/// a command's reply and the channel's events come only once its application has returned). Commands without a
/// UUID act on this call's channel.
/// </summary>
public sealed class EslOutboundSession : EslSocket
{
    private readonly CancellationTokenSource _callEnded = new();
    private readonly TaskCompletionSource<EslEvent> _bridged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EslEvent? _channelData;
    // Read on every log line and event of the call: decoded once, not from the packed channel data each time.
    private string _uniqueId = string.Empty;
    private int _answered;
    private static readonly EslCommand Connect = EslCommand.Text("connect");
    // Whether a batch of executes went out yet: the first is timed from the connect reply.
    private int _executed;
    private long _executionIds;
    private readonly KeyValuePair<string, object?> _portTag;
    private volatile string? _hangupCause;

    private EslOutboundSession(EslConnection connection, int eventQueueCapacity, IPEndPoint remote, KeyValuePair<string, object?> portTag) : base(connection, eventQueueCapacity)
    {
        RemoteEndPoint = remote;
        _portTag = portTag;
        connection.EventObserver = OnEvent;
        connection.DisconnectNoticeObserver = _ => EndCall();
        // Before any pending command fails: a handler catching that failure must already see CallEnded, or a
        // caller hanging up (FreeSWITCH closes the socket) races the signal and looks like an error.
        connection.ClosingObserver = EndCall;
    }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The channel data from the <c>connect</c> reply (all channel variables at hand-over).</summary>
    public EslEvent ChannelData => _channelData ?? throw new InvalidOperationException("connect has not completed");

    public string UniqueId => _channelData is null ? throw new InvalidOperationException("connect has not completed") : _uniqueId;

    /// <summary>Fires when the call hangs up (CHANNEL_HANGUP or a disconnect notice) or the socket closes.</summary>
    public CancellationToken CallEnded => _callEnded.Token;

    /// <summary>Completes with the first CHANNEL_BRIDGE of this channel (needs <c>myevents</c>).</summary>
    public Task<EslEvent> Bridged => _bridged.Task;

    /// <summary>When the connect reply came off the socket (<see cref="System.Diagnostics.Stopwatch"/> timestamp): where a call's decision time starts.</summary>
    internal long ConnectedAt { get; private set; }

    /// <summary>The <c>Hangup-Cause</c> of this channel's CHANNEL_HANGUP, once one was seen.</summary>
    public string? HangupCause => _hangupCause;

    /// <summary>True once this channel was answered (from the connect data, a CHANNEL_ANSWER, or any later event's <c>Answer-State</c>).</summary>
    public bool IsAnswered => Volatile.Read(ref _answered) == 1;

    /// <param name="portTag">The listener's <c>server.port</c> tag, carried by this session's measurements.</param>
    internal static EslOutboundSession Create(Socket socket, EslOutboundListenerOptions options, ILogger logger, string id, KeyValuePair<string, object?> portTag)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        var connection = CreateConnection(socket, options.Limits, logger, id, busy: false, inlineReplyContinuations: options.ResumeHandlersOnReadLoop);
        return new EslOutboundSession(connection, options.EventQueueCapacity, remote, portTag);
    }

    /// <summary>
    /// <c>connect</c> and the session set-up written back to back, before the channel data is back: FreeSWITCH
    /// reads and answers them in order, so by the time the call's first decision goes out the set-up is done
    /// and no write waits on a reply. Returns the set-up's outcome, to await later (a refusal throws there).
    /// </summary>
    internal async Task<Task> ConnectAndSetUpAsync(EslCommand[] setUp, CancellationToken cancellationToken)
    {
        var connect = await Connection.SendAllAsync([Connect], cancellationToken).ConfigureAwait(false);
        var setUpReplies = await Connection.SendAllAsync(setUp, cancellationToken).ConfigureAwait(false);
        await TakeChannelDataAsync(connect, cancellationToken).ConfigureAwait(false);
        return CheckSetUpAsync(setUp, setUpReplies, cancellationToken);
    }

    private async Task TakeChannelDataAsync(ReplyBatch connect, CancellationToken cancellationToken)
    {
        var reply = await connect.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (reply.ContentType != EslContentType.CommandReply || !reply.IsOk)
        {
            throw new EslProtocolException($"connect reply carries no channel data ({ControlCharacters.Escape(reply.ReplyText)})");
        }
        if (string.IsNullOrWhiteSpace(reply.Headers["Unique-ID"]))
        {
            // Every log line, event match and command of the call hangs on this UUID; "" would match nothing and
            // mix up such sessions in the logs.
            throw new EslProtocolException("connect reply has no Unique-ID (missing or empty): not a call");
        }
        ConnectedAt = reply.ReceivedAt;
        // Kept for the call's whole life: packed as it was decoded (EslHeaders), about a third of the memory of ~200 strings.
        var channelData = new EslEvent(reply.Headers);
        _uniqueId = channelData.UniqueId ?? string.Empty;
        _channelData = channelData;
        if (_channelData.AnswerState == "answered")
        {
            Volatile.Write(ref _answered, 1);
        }
    }

    /// <summary>
    /// Runs a dialplan application on this channel and waits for its CHANNEL_EXECUTE_COMPLETE (matched by
    /// the Event-UUID we send). Needs <c>myevents</c>. The completion still arrives after a hangup, so do not
    /// pass <see cref="CallEnded"/> here when the outcome matters.
    /// </summary>
    internal Task<EslEvent> ExecuteAsync(string application, string? argument = null, CancellationToken cancellationToken = default) =>
        ExecuteAllAsync([new EslExecute(application, argument)], cancellationToken);

    // The verbs below run one application each and complete with its CHANNEL_EXECUTE_COMPLETE, which still arrives
    // after a hangup (so do not pass CallEnded when the outcome matters). An argument reaches the application as
    // FreeSWITCH expands it (switch_core_session_exec: ${variables} and backslash escapes); what it refuses here is
    // what would change which application runs or how its argument splits.

    /// <summary><c>answer</c>: answers the call (200 OK with media).</summary>
    public Task AnswerAsync(CancellationToken cancellationToken = default) => ExecuteAsync("answer", null, cancellationToken);

    /// <summary><c>pre_answer</c>: early media (183 with SDP), so the caller hears what plays before any answer or SIP error.</summary>
    public Task PreAnswerAsync(CancellationToken cancellationToken = default) => ExecuteAsync("pre_answer", null, cancellationToken);

    /// <summary>
    /// <c>playback</c>: plays <paramref name="media"/> (a file, <c>tone_stream://</c>, ...). True when it played (to its
    /// end or a terminator); false when FreeSWITCH found nothing to play or failed to (mod_dptools.c
    /// <c>playback_function</c>: Application-Response FILE PLAYED, FILE NOT FOUND or PLAYBACK ERROR).
    /// </summary>
    public async Task<bool> PlaybackAsync(string media, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(media);
        var completion = await ExecuteAsync("playback", media, cancellationToken).ConfigureAwait(false);
        return completion.ApplicationResponse == "FILE PLAYED";
    }

    /// <summary>
    /// <c>respond</c>: a SIP response to the unanswered call, <paramref name="code"/> and <paramref name="reason"/>
    /// (empty: the stack's own phrase). mod_sofia.c (SWITCH_MESSAGE_INDICATE_RESPOND) reads the code, then everything
    /// after the first space as the reason phrase.
    /// </summary>
    public Task RespondAsync(int code, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(code, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(code, 699);
        ArgumentNullException.ThrowIfNull(reason);
        var text = code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ExecuteAsync("respond", reason.Length == 0 ? text : $"{text} {reason}", cancellationToken);
    }

    /// <summary>
    /// <c>transfer</c>: hands the call to <paramref name="extension"/> in <paramref name="dialplan"/> and
    /// <paramref name="context"/> (switch_ivr_session_transfer); the session's part in the call ends there. mod_dptools.c
    /// <c>transfer_function</c> splits its argument at spaces and reads <c>-bleg</c> or <c>-both</c> first as a
    /// flag, so neither a space nor those words may be a part.
    /// </summary>
    public Task TransferAsync(string extension, string dialplan = "XML", string context = "default", CancellationToken cancellationToken = default)
    {
        EnsureWord(extension, nameof(extension));
        EnsureWord(dialplan, nameof(dialplan));
        EnsureWord(context, nameof(context));
        if (extension.Equals("-bleg", StringComparison.OrdinalIgnoreCase) || extension.Equals("-both", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{extension}' would be read as a flag, not an extension", nameof(extension));
        }
        return ExecuteAsync("transfer", $"{extension} {dialplan} {context}", cancellationToken);
    }

    /// <summary>
    /// <c>bridge</c>: rings <paramref name="dialString"/> and completes when the bridge ends: at once when nobody
    /// answers, after the conversation when someone does (watch <see cref="Bridged"/> for the answer itself).
    /// <paramref name="before"/> go out in the same write, run first and are not waited for (variables, ringback).
    /// </summary>
    public async Task<EslBridgeResult> BridgeAsync(string dialString, IReadOnlyList<EslExecute>? before = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dialString);
        var completion = await ExecuteAllAsync([.. before ?? [], new EslExecute("bridge", dialString)], cancellationToken).ConfigureAwait(false);
        return EslBridgeResult.FromBridge(completion);
    }

    /// <summary>
    /// <c>intercept</c>: takes the call leg <paramref name="uuid"/> (ringing or bridged) and bridges this channel to it;
    /// with <paramref name="otherLeg"/>, the leg bridged to <paramref name="uuid"/> instead (<c>-bleg</c>). Not
    /// <see cref="EslBridgeResult.Answered"/> when FreeSWITCH refused it (switch_ivr_intercept_session: the leg
    /// gone, answered or bridged meanwhile, as the <c>intercept_unanswered_only</c> and
    /// <c>intercept_unbridged_only</c> variables, set in <paramref name="before"/>, ask). Intercept moves this channel
    /// out of the socket application, so the socket may close before the completion is read: that throws
    /// <see cref="EslConnectionClosedException"/>, and only the channel's events tell what happened.
    /// </summary>
    public async Task<EslBridgeResult> InterceptAsync(string uuid, bool otherLeg = false, IReadOnlyList<EslExecute>? before = null, CancellationToken cancellationToken = default)
    {
        EnsureWord(uuid, nameof(uuid));
        var argument = otherLeg ? "-bleg " + uuid : uuid;
        var completion = await ExecuteAllAsync([.. before ?? [], new EslExecute("intercept", argument)], cancellationToken).ConfigureAwait(false);
        return EslBridgeResult.FromIntercept(completion);
    }

    /// <summary>
    /// The set-up a listener writes with <c>connect</c>: <c>myevents</c>, a <c>filter</c> to <paramref name="eventNames"/>
    /// (none: every event of the channel) and optionally <c>linger</c>, checked. The same for every session of a
    /// listener, so made once.
    /// </summary>
    internal static EslCommand[] SetUpCommands(EslEventFormat format, bool linger, IReadOnlyList<string>? eventNames)
    {
        var commands = new List<string> { "myevents " + format.ToWire() };
        foreach (var name in eventNames ?? [])
        {
            EslCommandText.EnsureSingleLine(name, nameof(eventNames));
            commands.Add("filter Event-Name " + name);
        }
        if (linger)
        {
            commands.Add("linger");
        }
        return [.. commands.Select(EslCommand.Text)];
    }

    private static async Task CheckSetUpAsync(EslCommand[] commands, ReplyBatch replies, CancellationToken cancellationToken)
    {
        var reply = await replies.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!reply.IsOk)
        {
            throw new EslCommandException(commands[replies.ResultIndex].ToString(), reply.ReplyText);
        }
    }

    /// <summary>
    /// Runs <paramref name="executes"/> in order, all in one write, and waits for the last one's
    /// CHANNEL_EXECUTE_COMPLETE; the ones before it are queued, not waited for. With <c>async</c> FreeSWITCH runs
    /// them in order. A refused command in the batch throws once the last has completed. A session's first batch is
    /// timed from its connect reply (<see cref="EslMetrics.FirstExecuteDelayName"/>).
    /// </summary>
    public Task<EslEvent> ExecuteAllAsync(IReadOnlyList<EslExecute> executes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executes);
        ArgumentOutOfRangeException.ThrowIfZero(executes.Count, nameof(executes));
        // Short and unique within the session, which is all it must be: FreeSWITCH only stores it (app_uuid) and
        // echoes it as the completion's Application-UUID (switch_ivr.c switch_ivr_parse_event, switch_core_session.c
        // switch_core_session_execute_application_get_flags), and reads it a byte at a time (EslCommand).
        var eventUuid = "e" + Interlocked.Increment(ref _executionIds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var completion = Connection.RegisterExecution(eventUuid);
        // Sent in a method of its own: the batch's text (a bridge can be kilobytes) is then not kept for as
        // long as the call waits for the completion, which for a bridge is the whole call.
        return AwaitCompletionAsync(SendExecutionsAsync(executes, eventUuid, cancellationToken), completion, eventUuid, cancellationToken);
    }

    private async Task<EslEvent> AwaitCompletionAsync(Task sent, Task<EslEvent> completion, string eventUuid, CancellationToken cancellationToken)
    {
        try
        {
            await sent.ConfigureAwait(false);
            return await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Connection.ForgetExecution(eventUuid);
        }
    }

    private async Task SendExecutionsAsync(IReadOnlyList<EslExecute> executes, string eventUuid, CancellationToken cancellationToken)
    {
        var commands = new EslCommand[executes.Count];
        for (var i = 0; i < commands.Length; i++)
        {
            var (application, argument) = executes[i];
            CheckExecute(application, argument);
            // Only the last is awaited, under the Event-UUID registered for it. The others go without one (FreeSWITCH
            // makes its own): nobody waits for them, and every header byte costs the switch a recv() (EslCommand).
            commands[i] = i == commands.Length - 1
                ? EslCommand.Execute(application, argument, eventUuid)
                : EslCommand.Execute(application, argument);
        }
        var replies = await Connection.SendAllAsync(commands, cancellationToken).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _executed, 1) == 0 && ConnectedAt != 0)
        {
            EslMetrics.FirstExecuteDelay.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(ConnectedAt).TotalSeconds,
                new KeyValuePair<string, object?>("application", executes[^1].Application),
                _portTag);
        }
        var reply = await replies.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!reply.IsOk)
        {
            throw new EslCommandException(executes[replies.ResultIndex].ToString(), reply.ReplyText);
        }
    }

    /// <summary>Sets a channel variable (the <c>set</c> application).</summary>
    public Task<EslEvent> SetVariableAsync(string name, string value, CancellationToken cancellationToken = default)
    {
        if (name.Length == 0 || name.AsSpan().IndexOfAny("= \r\n") >= 0)
        {
            throw new ArgumentException($"'{name}' is not a valid channel variable name", nameof(name));
        }
        return ExecuteAsync("set", $"{name}={value}", cancellationToken);
    }

    /// <summary><c>sendmsg</c> hangup with a Q.850 cause name (NORMAL_CLEARING, UNALLOCATED_NUMBER, ...).</summary>
    public Task HangupAsync(string cause = "NORMAL_CLEARING", CancellationToken cancellationToken = default)
    {
        EnsureApplicationName(cause.ToLowerInvariant());
        return ExpectOkAsync(Connection, $"sendmsg\ncall-command: hangup\nhangup-cause: {cause}", cancellationToken);
    }

    /// <summary>Closes the connection at once, without the courtesy <c>exit</c>: for a peer that never became a call.</summary>
    internal void Refuse(Exception reason) => Connection.Abort(reason);

    /// <summary>
    /// Closes the session when <see cref="EslConnection.IsIdle"/> says it has no call activity; true if it did. Not
    /// before the connect reply: until then the listener's handshake timeout is what bounds the session.
    /// </summary>
    internal bool CloseIfIdle(TimeSpan idle)
    {
        if (_channelData is null || Connection.IsClosed || !Connection.IsIdle(idle))
        {
            return false;
        }
        Connection.Abort(new EslConnectionClosedException($"no call activity for {idle.TotalSeconds:0.###} s: session closed"));
        return true;
    }

    private void OnEvent(EslEvent evt)
    {
        if (_channelData is null || evt.UniqueId != _uniqueId)
        {
            return;
        }
        // Every channel event says whether the channel is answered: a session that does not take CHANNEL_ANSWER
        // still learns it from the next completion.
        if (evt.EventName == "CHANNEL_ANSWER" || evt.AnswerState == "answered")
        {
            Volatile.Write(ref _answered, 1);
        }
        switch (evt.EventName)
        {
            case "CHANNEL_HANGUP" or "CHANNEL_HANGUP_COMPLETE":
                _hangupCause ??= evt.HangupCause;
                EndCall();
                break;
            case "CHANNEL_BRIDGE":
                _bridged.TrySetResult(evt);
                break;
        }
    }

    private void EndCall()
    {
        if (!_callEnded.IsCancellationRequested)
        {
            // Callbacks run off the read loop (and off the connection's lock, see ClosingObserver), so a slow one
            // never stalls the connection. IsCancellationRequested is true when CancelAsync returns.
            _ = _callEnded.CancelAsync();
        }
    }

    private static void CheckExecute(string application, string? argument)
    {
        EnsureApplicationName(application);
        if (argument is not null)
        {
            EslCommandText.EnsureSingleLine(argument, nameof(argument));
        }
    }

    /// <summary>One word of an argument that FreeSWITCH splits at spaces.</summary>
    private static void EnsureWord(string word, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(word, paramName);
        if (word.AsSpan().IndexOfAny(" \t\r\n") >= 0)
        {
            throw new ArgumentException($"'{ControlCharacters.Escape(word)}' must be one word", paramName);
        }
    }

    private static void EnsureApplicationName(string name)
    {
        if (name.Length == 0 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw new ArgumentException($"'{name}' is not a valid application or cause name", nameof(name));
        }
    }
}
