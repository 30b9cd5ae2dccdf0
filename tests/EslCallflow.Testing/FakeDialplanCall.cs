using System.Collections.Concurrent;
using System.Globalization;
using EslCallflow.Testing.FreeSwitchModel;

namespace EslCallflow.Testing;

public sealed record FakeDialplanSetup
{
    public string Uuid { get; init; } = Guid.NewGuid().ToString();
    public required string Destination { get; init; }
    /// <summary>SIP user of the calling phone; null for a call from a gateway (no SIP auth).</summary>
    public string? SipUser { get; init; }
    public string SipRealm { get; init; } = "127.0.0.1";
    public string CallerIdNumber { get; init; } = "1005";
    public string CallerIdName { get; init; } = "Caller";
    /// <summary>The context the call hunts first (a phone's <c>user_context</c>).</summary>
    public string Context { get; init; } = "default";
    /// <summary>The switch whose event socket this channel's events go to (the daemon's channel feed); null: none.</summary>
    public FakeFreeSwitch? Switch { get; init; }
    /// <summary>The binding's <c>gateway-credentials</c>, sent as basic authentication.</summary>
    public (string User, string Password)? Credentials { get; init; }
    /// <summary>Channel variables before the first fetch.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
}

/// <summary>One fetch the call made: where it hunted, what came back (and how long that took), and what FreeSWITCH read in it.</summary>
public sealed record FakeFetch(string Context, string Destination, XmlCurlResponse Response, FetchedDialplan? Read, TimeSpan RoundTrip);

/// <summary>
/// A call that FreeSWITCH routes through mod_xml_curl: each dialplan lookup posts the captured form
/// (<see cref="XmlCurlFetch"/>) to the daemon, reads the answer as FreeSWITCH does (<see cref="XmlDialplan"/>) and
/// runs its actions on the call: <c>set</c>/<c>multiset</c>/<c>export</c> set variables (the value expanded again, as
/// mod_dptools.c <c>base_set</c> does), every argument is expanded first (<see cref="VariableExpansion"/>), <c>answer</c>,
/// <c>respond</c> and <c>hangup</c> act on the call, <c>transfer</c> hunts again in the context it names (one less
/// <c>max_forwards</c>, switch_ivr.c <c>switch_ivr_session_transfer</c>), the end of the actions hangs the call up.
/// What <c>bridge</c>, <c>intercept</c> and anything else do is scripted by <see cref="OnExecute"/>. The channel's
/// events (create, answer, hangup) go to the switch's feed as the real switch fires them.
/// </summary>
public sealed class FakeDialplanCall : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ConcurrentQueue<FakeExecution> _executions = new();
    private readonly ConcurrentQueue<FakeFetch> _fetches = new();
    private readonly ConcurrentDictionary<string, string> _variables = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _hungUp = new();
    private readonly Uri _daemon;
    private int _answered;
    private int _left;
    private Task _run = Task.CompletedTask;

    private FakeDialplanCall(Uri daemon, FakeDialplanSetup setup)
    {
        _daemon = daemon;
        Setup = setup;
        foreach (var (name, value) in setup.Variables)
        {
            _variables[name] = value;
        }
    }

    public FakeDialplanSetup Setup { get; }

    public string Uuid => Setup.Uuid;

    /// <summary>What an application does beyond the ones modelled here. Default: returns at once.</summary>
    public Func<FakeDialplanCall, FakeExecution, Task> OnExecute { get; set; } = (_, _) => Task.CompletedTask;

    /// <summary>The applications run, in order, each argument as the dialplan held it (before FreeSWITCH expands it).</summary>
    public IReadOnlyList<FakeExecution> Executions => [.. _executions];

    public IReadOnlyList<FakeFetch> Fetches => [.. _fetches];

    public IReadOnlyDictionary<string, string> Variables => _variables;

    public bool IsAnswered => Volatile.Read(ref _answered) == 1;

    /// <summary>The leg its events name as <c>Other-Leg-Unique-ID</c> (a picker's caller once intercept took it).</summary>
    public string? OtherLeg { get; set; }

    /// <summary>The channel left the dialplan (an intercept or uuid_bridge moved it): no further action runs.</summary>
    public bool HasLeftDialplan => Volatile.Read(ref _left) == 1;

    public string? HangupCause { get; private set; }

    /// <summary>The SIP response <c>respond</c> sent, as its argument (<c>480 No Call To Pick Up</c>).</summary>
    public string? Response { get; private set; }

    /// <summary>A fetch was answered "not found", refused or unreadable: FreeSWITCH ran its static dialplan.</summary>
    public bool RanStaticDialplan { get; private set; }

    /// <summary>Cancelled when the channel hangs up (a running script stops).</summary>
    public CancellationToken HungUp => _hungUp.Token;

    /// <summary>Completes when the channel is gone.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Completes when the dialplan has nothing more to run (the call ended, left it, or went to the static dialplan).</summary>
    public Task Done => _done.Task;

    public static async Task<FakeDialplanCall> DialAsync(Uri daemon, FakeDialplanSetup setup, Func<FakeDialplanCall, FakeExecution, Task>? onExecute = null)
    {
        var call = new FakeDialplanCall(daemon, setup);
        if (onExecute is not null)
        {
            call.OnExecute = onExecute;
        }
        await call.PublishAsync(call.Event("CHANNEL_CREATE", new Dictionary<string, string> { ["Answer-State"] = "ringing", ["Channel-Call-State"] = "RINGING" }));
        call._run = Task.Run(call.RunAsync);
        return call;
    }

    /// <summary>An event of this call's channel (a real template, this call's UUID and numbers).</summary>
    public Dictionary<string, string> Event(string name, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var evt = EventTemplates.CallerEvent(name, Uuid);
        evt["Call-Direction"] = "inbound";
        evt["Caller-Destination-Number"] = Setup.Destination;
        evt["Caller-Caller-ID-Name"] = Setup.CallerIdName;
        evt["Caller-Caller-ID-Number"] = Setup.CallerIdNumber;
        evt["Answer-State"] = IsAnswered ? "answered" : "ringing";
        if (OtherLeg is { } other)
        {
            evt["Other-Leg-Unique-ID"] = other;
        }
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            evt[key] = value;
        }
        return evt;
    }

    public Task PublishAsync(IReadOnlyDictionary<string, string> evt) => Setup.Switch?.PublishAsync(evt) ?? Task.CompletedTask;

    public void SetVariable(string name, string value) => _variables[name] = value;

    /// <summary>The channel is answered (CHANNEL_ANSWER on the feed, once).</summary>
    public async Task AnswerAsync()
    {
        if (Interlocked.Exchange(ref _answered, 1) == 0)
        {
            await PublishAsync(Event("CHANNEL_ANSWER", new Dictionary<string, string> { ["Answer-State"] = "answered", ["Channel-Call-State"] = "ACTIVE" }));
        }
    }

    /// <summary>A uuid_bridge (intercept) took the channel out of its dialplan: the actions after the running one do not run.</summary>
    public void LeaveDialplan() => Interlocked.Exchange(ref _left, 1);

    /// <summary>
    /// The channel hangs up: CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE with mod_sofia's <c>sip_hangup_disposition</c>,
    /// CHANNEL_DESTROY. <paramref name="beforeComplete"/> runs between the first two (a bridge's CHANNEL_UNBRIDGE).
    /// </summary>
    public async Task HangUpAsync(string cause, string disposition, Func<Task>? beforeComplete = null)
    {
        lock (_hungUp)
        {
            if (HangupCause is not null)
            {
                return;
            }
            HangupCause = cause;
        }
        var fields = new Dictionary<string, string> { ["Hangup-Cause"] = cause, ["Answer-State"] = "hangup", ["Channel-Call-State"] = "HANGUP" };
        await PublishAsync(Event("CHANNEL_HANGUP", fields));
        await _hungUp.CancelAsync();
        if (beforeComplete is not null)
        {
            await beforeComplete();
        }
        fields["variable_sip_hangup_disposition"] = disposition;
        if (_variables.TryGetValue("last_bridge_hangup_cause", out var lastBridge))
        {
            fields["variable_last_bridge_hangup_cause"] = lastBridge;
        }
        await PublishAsync(Event("CHANNEL_HANGUP_COMPLETE", fields));
        await PublishAsync(Event("CHANNEL_DESTROY", fields));
        _ended.TrySetResult();
    }

    /// <summary>The caller's phone hangs up: CANCEL before an answer (ORIGINATOR_CANCEL), BYE after.</summary>
    public Task CallerHangsUpAsync(Func<Task>? beforeComplete = null) => IsAnswered
        ? HangUpAsync("NORMAL_CLEARING", "recv_bye", beforeComplete)
        : HangUpAsync("ORIGINATOR_CANCEL", "recv_cancel", beforeComplete);

    public async Task<FakeExecution> WaitForExecutionAsync(string application, int occurrence = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (_executions.Where(e => e.Application == application).Skip(occurrence - 1).FirstOrDefault() is { } found)
            {
                return found;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no '{application}' #{occurrence}; ran: {string.Join(" | ", _executions.Select(e => e.Application + " " + e.Argument))}; fetches: {string.Join(" | ", _fetches.Select(f => $"{f.Context}/{f.Destination} {f.Response.Status}"))}");
            }
            await Task.Delay(10);
        }
    }

    private bool Stopped => HangupCause is not null || HasLeftDialplan;

    private async Task RunAsync()
    {
        try
        {
            var (context, destination) = (Setup.Context, Setup.Destination);
            while (!Stopped)
            {
                var form = Form(context, destination);
                var sent = System.Diagnostics.Stopwatch.GetTimestamp();
                var response = await XmlCurlFetch.PostAsync(Http, _daemon, form, Setup.Credentials);
                var roundTrip = System.Diagnostics.Stopwatch.GetElapsedTime(sent);
                var read = response.Status == 200 ? XmlDialplan.Read(response.Body, context) : null;
                _fetches.Enqueue(new FakeFetch(context, destination, response, read, roundTrip));
                if (read is null || read.NotFound || read.Error is not null)
                {
                    RanStaticDialplan = true;
                    return;
                }
                if (await RunActionsAsync(read.Actions) is not { } transfer)
                {
                    if (!Stopped)
                    {
                        // switch_core_state_machine.c: "has executed the last dialplan instruction, hanging up".
                        await HangUpAsync("NORMAL_CLEARING", IsAnswered ? "send_bye" : "send_refuse");
                    }
                    return;
                }
                (destination, context) = transfer;
            }
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    /// <summary>Runs the extension's actions; returns where a <c>transfer</c> sends the call, or null when they are over.</summary>
    private async Task<(string Destination, string Context)?> RunActionsAsync(IReadOnlyList<DialplanAction> actions)
    {
        foreach (var action in actions)
        {
            if (Stopped)
            {
                return null;
            }
            // Recorded as the dialplan holds it (as FakeCall records what the socket sends); switch_core_session.c
            // switch_core_session_exec expands it before the application sees it.
            var execution = new FakeExecution(action.Application, action.Data, Guid.NewGuid().ToString(), System.Diagnostics.Stopwatch.GetTimestamp());
            var argument = action.Data is null ? null : VariableExpansion.Expand(action.Data, _variables).Text;
            _executions.Enqueue(execution);
            switch (action.Application)
            {
                case "set" or "export" when argument?.Split('=', 2) is [var name, var value]:
                    _variables[name] = VariableExpansion.Expand(value, _variables).Text;
                    break;
                case "multiset" when argument is not null:
                    foreach (var pair in argument.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (pair.Split('=', 2) is [var n, var v])
                        {
                            _variables[n] = VariableExpansion.Expand(v, _variables).Text;
                        }
                    }
                    break;
                case "answer":
                    await AnswerAsync();
                    break;
                case "respond" when argument is not null:
                    Response = argument;
                    if (!IsAnswered)
                    {
                        var code = int.Parse(argument.Split(' ')[0], CultureInfo.InvariantCulture);
                        await HangUpAsync(XmlDialplan.CauseOfResponse(code), "send_refuse");
                    }
                    break;
                case "hangup":
                    await HangUpAsync(string.IsNullOrEmpty(argument) ? "NORMAL_CLEARING" : argument, IsAnswered ? "send_bye" : "send_refuse");
                    break;
                case "transfer" when argument is not null:
                    return Transfer(argument) is { } to ? to : null;
                case "ring_ready" or "pre_answer" or "playback":
                    break;
                default:
                    await OnExecute(this, execution);
                    if (action.Application == "bridge")
                    {
                        await AfterBridgeAsync();
                    }
                    break;
            }
        }
        return null;
    }

    /// <summary>switch_ivr.c after a bridge: hangup_after_bridge ends an answered one; continue_on_fail lets a failed one go on.</summary>
    private async Task AfterBridgeAsync()
    {
        if (Stopped)
        {
            return;
        }
        var answered = _variables.GetValueOrDefault("originate_disposition") == "SUCCESS";
        if (answered && _variables.GetValueOrDefault("hangup_after_bridge") == "true")
        {
            await HangUpAsync("NORMAL_CLEARING", "send_bye");
        }
        else if (!answered && _variables.GetValueOrDefault("continue_on_fail") != "true")
        {
            await HangUpAsync(_variables.GetValueOrDefault("originate_failed_cause") ?? "NORMAL_TEMPORARY_FAILURE", "send_refuse");
        }
    }

    /// <summary>mod_dptools.c transfer_function and switch_ivr_session_transfer: destination, dialplan, context; one transfer less allowed.</summary>
    private (string Destination, string Context)? Transfer(string argument)
    {
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var counter = _variables.ContainsKey("max_session_transfers") ? "max_session_transfers" : "max_forwards";
        var left = (int.TryParse(_variables.GetValueOrDefault(counter), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 70) - 1;
        if (left <= 0)
        {
            _ = HangUpAsync("EXCHANGE_ROUTING_ERROR", IsAnswered ? "send_bye" : "send_refuse");
            return null;
        }
        _variables[counter] = left.ToString(CultureInfo.InvariantCulture);
        return (parts[0], parts.Length > 2 ? parts[2] : Setup.Context);
    }

    private string Form(string context, string destination)
    {
        var fields = new Dictionary<string, string>
        {
            ["Unique-ID"] = Uuid,
            ["Channel-Call-UUID"] = Uuid,
            ["Caller-Unique-ID"] = Uuid,
            ["Caller-Destination-Number"] = destination,
            ["Caller-Context"] = context,
            ["Caller-Caller-ID-Name"] = Setup.CallerIdName,
            ["Caller-Caller-ID-Number"] = Setup.CallerIdNumber,
            ["Caller-Orig-Caller-ID-Name"] = Setup.CallerIdName,
            ["Caller-Orig-Caller-ID-Number"] = Setup.CallerIdNumber,
            ["Answer-State"] = IsAnswered ? "answered" : "ringing",
            ["Channel-Call-State"] = IsAnswered ? "ACTIVE" : "RINGING",
        };
        var variables = new Dictionary<string, string>(_variables, StringComparer.Ordinal)
        {
            ["uuid"] = Uuid,
            ["call_uuid"] = Uuid,
        };
        HashSet<string>? without = null;
        if (Setup.SipUser is { } user)
        {
            variables["sip_auth_username"] = user;
            variables["sip_auth_realm"] = Setup.SipRealm;
            variables["sip_from_user"] = user;
            variables["sip_from_host"] = Setup.SipRealm;
        }
        else
        {
            without = ["variable_sip_auth_username", "variable_sip_auth_realm", "variable_sip_number_alias", "variable_number_alias", "variable_user_name"];
            variables["sip_from_user"] = Setup.CallerIdNumber;
            variables["sip_from_host"] = "gateway.example.com";
        }
        return XmlCurlFetch.Form(fields, variables, without, XmlCurlFetch.ShippedPostVars);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_ended.Task.IsCompleted)
        {
            await HangUpAsync("NORMAL_CLEARING", "send_bye");
        }
        await _run;
    }
}
