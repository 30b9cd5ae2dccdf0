using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EslCallflow.Testing;

public sealed record FakeCallSetup
{
    public string Uuid { get; init; } = Guid.NewGuid().ToString();
    public required string Destination { get; init; }
    /// <summary>SIP user of the calling phone; null for a call from a gateway (no SIP auth).</summary>
    public string? SipUser { get; init; }
    public string SipRealm { get; init; } = "127.0.0.1";
    public string CallerIdNumber { get; init; } = "1005";
    public string CallerIdName { get; init; } = "Caller";

    /// <summary>
    /// <c>socket ... async full</c> (true) or <c>socket ... full</c> (false). Without async FreeSWITCH runs each
    /// sendmsg in the channel's own thread as it reads it: the reply comes when the application has returned,
    /// no later command is read before, and the channel's events wait until then too, then follow the reply
    /// (mod_event_socket.c: listener_run → parse_command → switch_ivr_parse_event; only read_packet, between
    /// commands, sends events).
    /// </summary>
    public bool Async { get; init; } = true;

    /// <summary>The refusal for an application (its reply text), or null to run it: set here, it holds from the first command on.</summary>
    public Func<string, string?>? RefuseExecute { get; init; }

    /// <summary>
    /// The switch whose event socket this channel's events also go to, as FreeSWITCH fires every channel event to
    /// every subscriber (the daemon's channel feed among them), whatever the call's own socket filters; null: none.
    /// </summary>
    public FakeFreeSwitch? Switch { get; init; }

    /// <summary>Channel variables the dialplan set before <c>socket</c> (sent as <c>variable_</c> headers in the channel data).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
}

/// <summary>An application the daemon asked to run; <paramref name="ReceivedAt"/> is when its command arrived (Stopwatch timestamp).</summary>
public sealed record FakeExecution(string Application, string? Argument, string EventUuid, long ReceivedAt = 0);

/// <summary>
/// A call that FreeSWITCH hands to the daemon with <c>socket ... async full</c>: connects to the daemon's
/// outbound listener and answers connect, myevents, linger, sendmsg execute/hangup and api the way the
/// transcripts show. What each executed application does is scripted by <see cref="OnExecute"/>.
/// </summary>
public sealed class FakeCall : IAsyncDisposable
{
    private readonly FakeSocket _socket;
    private readonly ConcurrentQueue<string> _commands = new();
    private readonly ConcurrentQueue<FakeExecution> _executions = new();
    private readonly ConcurrentDictionary<string, FakeExecution> _running = new();
    private readonly ConcurrentDictionary<string, string> _variables = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _filters = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _changed = new(0);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _inlineRunning = new();
    private readonly Lock _holdGate = new();
    // Non-null while an application runs inline (Async false): what the channel sends meanwhile waits here.
    private List<byte[]>? _held;
    private Task _serveLoop = Task.CompletedTask;
    private int _hungUp;
    private int _answered;
    // Microseconds since the epoch, as FreeSWITCH's Caller-Channel-Bridged-Time; 0 until a bridge is answered.
    private long _bridgedAt;

    private FakeCall(FakeSocket socket, FakeCallSetup setup)
    {
        _socket = socket;
        Setup = setup;
        RefuseExecute = setup.RefuseExecute ?? (_ => null);
    }

    public FakeCallSetup Setup { get; }

    public string Uuid => Setup.Uuid;

    /// <summary>What the application does once FreeSWITCH accepted it. Default: completes at once.</summary>
    public Func<FakeCall, FakeExecution, Task> OnExecute { get; set; } = (call, execution) => call.CompleteAsync(execution);

    public Func<string, string> Api { get; set; } = FakeFreeSwitch.DefaultApi;

    /// <summary>The -ERR reply for an execute the switch refuses (given the application), or null to accept it.</summary>
    public Func<string, string?> RefuseExecute { get; set; }

    public IReadOnlyCollection<string> Commands => _commands;

    public IReadOnlyList<FakeExecution> Executions => [.. _executions];

    public IReadOnlyDictionary<string, string> Variables => _variables;

    /// <summary>When the connect reply (the channel data) was written (Stopwatch timestamp): where decision latency starts.</summary>
    public long ConnectRepliedAt { get; private set; }

    /// <summary>The cause the daemon hung up with, if it did.</summary>
    public string? HangupCause { get; private set; }

    public bool IsHungUp => Volatile.Read(ref _hungUp) == 1;

    /// <summary>The caller's channel was answered (the <c>answer</c> application, or a bridge that answered).</summary>
    public bool IsAnswered => Volatile.Read(ref _answered) == 1;

    /// <summary>Completes when the daemon closes the socket.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects to the daemon; <paramref name="onExecute"/> is in place before the first command arrives.</summary>
    public static async Task<FakeCall> DialAsync(IPEndPoint daemon, FakeCallSetup setup, Func<FakeCall, FakeExecution, Task>? onExecute = null)
    {
        var socket = new Socket(daemon.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(daemon);
        var call = new FakeCall(new FakeSocket(socket), setup);
        if (onExecute is not null)
        {
            call.OnExecute = onExecute;
        }
        call._serveLoop = Task.Run(call.ServeAsync);
        return call;
    }

    public IReadOnlyDictionary<string, string> ChannelData()
    {
        var data = new Dictionary<string, string>
        {
            ["Unique-ID"] = Uuid,
            ["Channel-Unique-ID"] = Uuid,
            ["Caller-Unique-ID"] = Uuid,
            ["Channel-Call-UUID"] = Uuid,
            ["variable_uuid"] = Uuid,
            ["variable_call_uuid"] = Uuid,
            ["Channel-Destination-Number"] = Setup.Destination,
            ["Caller-Destination-Number"] = Setup.Destination,
            ["Channel-Caller-ID-Number"] = Setup.CallerIdNumber,
            ["Caller-Caller-ID-Number"] = Setup.CallerIdNumber,
            ["Channel-Caller-ID-Name"] = Setup.CallerIdName,
            ["Caller-Caller-ID-Name"] = Setup.CallerIdName,
            ["Channel-Name"] = $"sofia/internal/{Setup.SipUser ?? Setup.CallerIdNumber}@{Setup.SipRealm}",
            ["Caller-Channel-Name"] = $"sofia/internal/{Setup.SipUser ?? Setup.CallerIdNumber}@{Setup.SipRealm}",
        };
        if (Setup.SipUser is not null)
        {
            data["variable_sip_auth_username"] = Setup.SipUser;
            data["variable_sip_auth_realm"] = Setup.SipRealm;
            data["variable_sip_from_user"] = Setup.SipUser;
            data["variable_sip_from_host"] = Setup.SipRealm;
            data["variable_presence_id"] = $"{Setup.SipUser}@{Setup.SipRealm}";
        }
        foreach (var (name, value) in Setup.Variables)
        {
            data["variable_" + name] = value;
        }
        return data;
    }

    /// <summary>An event of this call's channel (real template, our UUID).</summary>
    public Dictionary<string, string> Event(string name, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var evt = EventTemplates.CallerEvent(name, Uuid, overrides);
        evt["Caller-Destination-Number"] = Setup.Destination;
        return evt;
    }

    /// <summary>Sends an event of this channel, unless the daemon's <c>filter</c> commands leave it out (as FreeSWITCH does).</summary>
    public async Task SendEventAsync(IReadOnlyDictionary<string, string> evt)
    {
        if (Setup.Switch is { } feed)
        {
            await feed.PublishAsync(evt);
        }
        if (PassesFilters(evt))
        {
            await SendOrHoldAsync(EslWire.JsonEvent(evt));
        }
    }

    /// <summary>Sends now, or, while an application runs inline, once it has returned (after its reply).</summary>
    private Task SendOrHoldAsync(byte[] bytes)
    {
        lock (_holdGate)
        {
            if (_held is not null)
            {
                _held.Add(bytes);
                return Task.CompletedTask;
            }
        }
        return _socket.SendAsync(bytes);
    }

    /// <summary>Filters the daemon set with <c>filter Header value</c>: values of one header are alternatives.</summary>
    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> Filters => _filters.ToDictionary(p => p.Key, p => (IReadOnlyCollection<string>)[.. p.Value.Keys]);

    private bool PassesFilters(IReadOnlyDictionary<string, string> evt) =>
        _filters.IsEmpty || _filters.All(filter => evt.TryGetValue(filter.Key, out var value) && filter.Value.ContainsKey(value));

    /// <summary>CHANNEL_EXECUTE_COMPLETE for <paramref name="execution"/>, with extra channel variables.</summary>
    public Task CompleteAsync(FakeExecution execution, IReadOnlyDictionary<string, string>? variables = null, string response = "_none_")
    {
        if (!_running.TryRemove(execution.EventUuid, out _))
        {
            return Task.CompletedTask;
        }
        var overrides = new Dictionary<string, string>
        {
            ["Application"] = execution.Application,
            ["Application-Data"] = execution.Argument ?? string.Empty,
            ["Application-Response"] = response,
            ["Application-UUID"] = execution.EventUuid,
        };
        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            overrides[name] = value;
        }
        if (IsHungUp)
        {
            overrides["Answer-State"] = "hangup";
            overrides["Hangup-Cause"] = HangupCause ?? "NORMAL_CLEARING";
        }
        return CompleteInlineAfter(SendEventAsync(Event("CHANNEL_EXECUTE_COMPLETE", overrides)), execution.EventUuid);
    }

    private async Task CompleteInlineAfter(Task sent, string eventUuid)
    {
        await sent;
        if (_inlineRunning.TryRemove(eventUuid, out var returned))
        {
            returned.TrySetResult();
        }
    }

    /// <summary>
    /// A leg of the running bridge answered, as a real switch tells the caller's session: CHANNEL_ANSWER (if the
    /// caller was not answered yet) and CHANNEL_BRIDGE naming the answering leg. The bridge application itself
    /// completes only when the conversation ends (see <see cref="EndBridgeAsync"/>).
    /// </summary>
    public async Task AnswerBridgeAsync(string answeringLeg)
    {
        // As switch_ivr_bridge.c sets it (switch_channel_set_bridge_time): on every later event of the caller.
        Interlocked.CompareExchange(ref _bridgedAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000, 0);
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            await SendEventAsync(Event("CHANNEL_ANSWER", new Dictionary<string, string> { ["Answer-State"] = "answered", ["Channel-Call-State"] = "ACTIVE" }));
        }
        await SendEventAsync(Event("CHANNEL_BRIDGE", new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Channel-Call-State"] = "ACTIVE",
            ["Other-Leg-Unique-ID"] = answeringLeg,
            ["Bridge-A-Unique-ID"] = Uuid,
            ["Bridge-B-Unique-ID"] = answeringLeg,
            ["variable_bridge_uuid"] = answeringLeg,
            ["Caller-Channel-Bridged-Time"] = BridgedAtText,
        }));
    }

    /// <summary>
    /// The conversation of an answered bridge ends. <paramref name="callerHangsUp"/>: the caller's BYE, so the
    /// completion comes with the caller's channel down; else the answering phone hung up and the caller is
    /// still up when the bridge returns (hangup_after_bridge then ends it).
    /// </summary>
    public async Task EndBridgeAsync(FakeExecution bridge, string answeringLeg, bool callerHangsUp)
    {
        var variables = new Dictionary<string, string>
        {
            ["variable_originate_disposition"] = "SUCCESS",
            ["variable_DIALSTATUS"] = "SUCCESS",
            ["variable_last_bridge_to"] = answeringLeg,
            ["variable_bridge_uuid"] = answeringLeg,
            ["variable_last_bridge_hangup_cause"] = "NORMAL_CLEARING",
            ["Answer-State"] = callerHangsUp ? "hangup" : "answered",
            ["Caller-Channel-Bridged-Time"] = BridgedAtText,
        };
        if (callerHangsUp)
        {
            Interlocked.Exchange(ref _hungUp, 1);
            HangupCause ??= "NORMAL_CLEARING";
            await SendEventAsync(Event("CHANNEL_HANGUP", new Dictionary<string, string> { ["Hangup-Cause"] = "NORMAL_CLEARING", ["Answer-State"] = "hangup" }));
        }
        await CompleteAsync(bridge, variables);
        if (callerHangsUp)
        {
            await SendEventAsync(Event("CHANNEL_HANGUP_COMPLETE", new Dictionary<string, string> { ["Hangup-Cause"] = "NORMAL_CLEARING", ["Answer-State"] = "hangup" }));
            await SendOrHoldAsync(EslWire.DisconnectNotice(Uuid, "linger", lingerNotice: true));
        }
    }

    private string BridgedAtText => Interlocked.Read(ref _bridgedAt).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sends a channel event of this call as it is, through the daemon's filters.</summary>
    public Task SendChannelEventAsync(string name, IReadOnlyDictionary<string, string> fields) => SendEventAsync(Event(name, fields));

    /// <summary>
    /// The channel left the <c>socket</c> application (intercept moved it, say): the socket application completes
    /// and FreeSWITCH closes the session with a disconnect notice.
    /// </summary>
    public async Task LeaveSocketAsync()
    {
        await _socket.SendAsync(EslWire.DisconnectNotice(Uuid, "disconnect"));
        _socket.Drop();
    }

    /// <summary>The caller hangs up: CHANNEL_HANGUP, running applications complete, HANGUP_COMPLETE, linger notice.</summary>
    public async Task CallerHangsUpAsync(string cause = "ORIGINATOR_CANCEL")
    {
        if (Interlocked.Exchange(ref _hungUp, 1) == 1)
        {
            return;
        }
        HangupCause ??= cause;
        await SendEventAsync(Event("CHANNEL_HANGUP", new Dictionary<string, string> { ["Hangup-Cause"] = cause, ["Answer-State"] = "hangup" }));
        foreach (var running in _running.Values.ToArray())
        {
            await CompleteAsync(running, new Dictionary<string, string> { ["variable_originate_disposition"] = cause, ["variable_originate_failed_cause"] = cause });
        }
        await SendEventAsync(Event("CHANNEL_HANGUP_COMPLETE", new Dictionary<string, string> { ["Hangup-Cause"] = cause, ["Answer-State"] = "hangup" }));
        await SendOrHoldAsync(EslWire.DisconnectNotice(Uuid, "linger", lingerNotice: true));
    }

    public async Task<FakeExecution> WaitForExecutionAsync(string application, int occurrence = 1, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var found = _executions.Where(e => e.Application == application).Skip(occurrence - 1).FirstOrDefault();
            if (found is not null)
            {
                return found;
            }
            try
            {
                await _changed.WaitAsync(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no '{application}' #{occurrence}; executed: {string.Join(", ", _executions.Select(e => e.Application + " " + e.Argument))}; commands: {string.Join(" | ", _commands)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Drop();
        await _serveLoop;
    }

    private async Task ServeAsync()
    {
        try
        {
            while (await _socket.ReadCommandAsync(CancellationToken.None) is { } command)
            {
                _commands.Enqueue(command);
                if (!await HandleAsync(command))
                {
                    break;
                }
                _changed.Release();
            }
        }
        finally
        {
            _socket.Drop();
            _closed.TrySetResult();
            _changed.Release();
        }
    }

    private async Task<bool> HandleAsync(string command)
    {
        var lines = command.Split('\n');
        var verb = lines[0].Split(' ')[0];
        switch (verb)
        {
            case "connect":
                await _socket.SendAsync(EslWire.ChannelDataReply(EventTemplates.ChannelData(ChannelData())));
                ConnectRepliedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                return true;
            case "myevents":
                await _socket.SendAsync(EslWire.CommandReply("+OK Events Enabled"));
                return true;
            case "filter" when lines[0].Split(' ', 3) is [_, var header, var value]:
                _filters.GetOrAdd(header, _ => new ConcurrentDictionary<string, bool>())[value] = true;
                await _socket.SendAsync(EslWire.CommandReply($"+OK filter added. [{header}]=[{value}]"));
                return true;
            case "linger":
                await _socket.SendAsync(EslWire.CommandReply("+OK will linger"));
                return true;
            case "api":
                await _socket.SendAsync(EslWire.ApiResponse(Api(lines[0]["api ".Length..])));
                return true;
            case "exit":
                await _socket.SendAsync(EslWire.CommandReply("+OK bye"));
                await _socket.SendAsync(EslWire.DisconnectNotice(Uuid, "disconnect"));
                return false;
            case "sendmsg":
                // A body (after the blank line) is the argument when execute-app-arg is absent and content-type is
                // text/plain, as switch_ivr_parse_event (switch_ivr.c) takes it.
                var parts = command.Split("\n\n", 2);
                var headers = parts[0].Split('\n').Skip(1).Select(l => l.Split(": ", 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].ToLowerInvariant(), p => p[1]);
                if (!headers.ContainsKey("execute-app-arg") && parts.Length == 2
                    && string.Equals(headers.GetValueOrDefault("content-type"), "text/plain", StringComparison.OrdinalIgnoreCase))
                {
                    headers["execute-app-arg"] = parts[1];
                }
                await HandleSendMsgAsync(headers);
                return true;
            default:
                await _socket.SendAsync(EslWire.CommandReply("-ERR command not found"));
                return true;
        }
    }

    private async Task HandleSendMsgAsync(Dictionary<string, string> headers)
    {
        switch (headers.GetValueOrDefault("call-command"))
        {
            case "execute":
                var execution = new FakeExecution(headers["execute-app-name"], headers.GetValueOrDefault("execute-app-arg"), headers.GetValueOrDefault("event-uuid") ?? Guid.NewGuid().ToString(), System.Diagnostics.Stopwatch.GetTimestamp());
                if (RefuseExecute(execution.Application) is { } refusal)
                {
                    await _socket.SendAsync(EslWire.CommandReply(refusal));
                    return;
                }
                if (!Setup.Async && !IsHungUp)
                {
                    await RunInlineAsync(execution);
                    return;
                }
                await _socket.SendAsync(EslWire.CommandReply("+OK"));
                if (IsHungUp)
                {
                    return;
                }
                await StartAsync(execution);
                break;
            case "hangup":
                // Recorded before the reply: the daemon may act on the +OK before this task runs again.
                HangupCause = headers.GetValueOrDefault("hangup-cause") ?? "NORMAL_CLEARING";
                await _socket.SendAsync(EslWire.CommandReply("+OK"));
                await CallerHangsUpAsync(HangupCause);
                break;
            default:
                await _socket.SendAsync(EslWire.CommandReply("-ERR invalid command"));
                break;
        }
    }

    private async Task StartAsync(FakeExecution execution)
    {
        _running[execution.EventUuid] = execution;
        _executions.Enqueue(execution);
        RecordVariables(execution);
        if (execution.Application == "answer" && Interlocked.Exchange(ref _answered, 1) == 0)
        {
            // As FreeSWITCH does: the channel's CHANNEL_ANSWER comes before the application completes.
            await SendEventAsync(Event("CHANNEL_ANSWER", new Dictionary<string, string> { ["Answer-State"] = "answered", ["Channel-Call-State"] = "ACTIVE" }));
        }
        await SendEventAsync(Event("CHANNEL_EXECUTE", new Dictionary<string, string>
        {
            ["Application"] = execution.Application,
            ["Application-Data"] = execution.Argument ?? string.Empty,
            ["Application-UUID"] = execution.EventUuid,
        }));
        _ = Task.Run(() => OnExecute(this, execution));
    }

    /// <summary>
    /// Without async: the application runs before anything else is read; then its reply, then the events it
    /// made (its CHANNEL_EXECUTE_COMPLETE among them), then the next command.
    /// </summary>
    private async Task RunInlineAsync(FakeExecution execution)
    {
        var returned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _inlineRunning[execution.EventUuid] = returned;
        lock (_holdGate)
        {
            _held = [];
        }
        await StartAsync(execution);
        _changed.Release();
        await returned.Task;
        List<byte[]> held;
        lock (_holdGate)
        {
            held = _held ?? [];
            _held = null;
        }
        await _socket.SendAsync(EslWire.CommandReply("+OK"));
        foreach (var bytes in held)
        {
            await _socket.SendAsync(bytes);
        }
    }

    private void RecordVariables(FakeExecution execution)
    {
        if (execution.Application is "set" or "export" && execution.Argument?.Split('=', 2) is [var name, var value])
        {
            _variables[name] = value;
        }
        if (execution.Application == "multiset" && execution.Argument is { } list)
        {
            foreach (var pair in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (pair.Split('=', 2) is [var n, var v])
                {
                    _variables[n] = v;
                }
            }
        }
    }
}
