using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>
/// A SIP phone on loopback: one account (user, password) on the switch, registered with digest
/// authentication, that rings, answers or rejects as its <see cref="Behaviour"/> says and places calls of its
/// own. It records every INVITE it gets (<see cref="Incoming"/>) and every call it places
/// (<see cref="Outgoing"/>), with times on <see cref="SipClock"/>.
/// </summary>
public sealed class SipPhone : IAsyncDisposable
{
    private readonly SipEndpoint _endpoint;
    private readonly Socket _media;
    private readonly IPEndPoint _switch;
    private readonly string _password;
    private readonly List<IncomingCall> _incoming = [];
    private readonly List<OutgoingCall> _outgoing = [];
    private readonly List<(TimeSpan At, SipMessage Request)> _otherRequests = [];
    private readonly List<ServerTransaction> _reInvites = [];
    private readonly string _registerCallId = Guid.NewGuid().ToString("N");
    private readonly long _sessionId = Random.Shared.NextInt64(1, 1L << 40);
    private int _registerCSeq;
    private int _generation;

    public SipPhone(string user, string password, string domain, IPEndPoint switchAddress)
    {
        User = user;
        Domain = domain;
        _password = password;
        _switch = switchAddress;
        _endpoint = new SipEndpoint(user, OnRequest);
        // The port the phone's SDP names; RTP the switch sends there is never read.
        _media = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _media.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    /// <summary>
    /// False behind a proxy the switch trusts (several switches: Kamailio relays the call and FreeSWITCH's ACL lets it in
    /// without a challenge): the first INVITE is the call itself, its provisional responses count.
    /// </summary>
    public bool ChallengedCalls { get; init; } = true;

    public string User { get; }
    public string Domain { get; }
    public string Aor => $"sip:{User}@{Domain}";
    public object Gate => _endpoint.Gate;

    /// <summary>Where FreeSWITCH sends this phone's INVITEs (the Contact it registered).</summary>
    public IPEndPoint Contact => _endpoint.Local;

    /// <summary>How the phone handles the next INVITEs; Rings (180, never answers) unless a test says otherwise.</summary>
    public PhoneBehaviour Behaviour { get; set; } = PhoneBehaviour.Rings;

    public IReadOnlyList<string> Trace => _endpoint.Trace;

    private int MediaPort => ((IPEndPoint)_media.LocalEndPoint!).Port;

    public IReadOnlyList<IncomingCall> Incoming
    {
        get
        {
            lock (Gate)
            {
                return [.. _incoming];
            }
        }
    }

    public IReadOnlyList<OutgoingCall> Outgoing
    {
        get
        {
            lock (Gate)
            {
                return [.. _outgoing];
            }
        }
    }

    /// <summary>Requests other than calls (NOTIFY, OPTIONS, ...), answered 200 and kept for later checks (BLF).</summary>
    public IReadOnlyList<(TimeSpan At, SipMessage Request)> OtherRequests
    {
        get
        {
            lock (Gate)
            {
                return [.. _otherRequests];
            }
        }
    }

    /// <summary>Forgets what was recorded and goes back to ringing: the start of a test. Timers of earlier calls do nothing after this.</summary>
    public void Reset()
    {
        lock (Gate)
        {
            _incoming.Clear();
            _outgoing.Clear();
            _otherRequests.Clear();
            _reInvites.Clear();
            _generation++;
            Behaviour = PhoneBehaviour.Rings;
        }
        _endpoint.ClearTrace();
    }

    /// <summary>
    /// Forgets calls that ended and began more than <paramref name="age"/> ago, with their transactions, and all but
    /// the last 2,000 trace lines: a phone in a long run keeps its memory, and its lookups by Call-ID, small. Unlike
    /// <see cref="Reset"/> it leaves calls in progress and the timers of its behaviour alone.
    /// </summary>
    public void Forget(TimeSpan age)
    {
        var before = SipClock.Now - age;
        lock (Gate)
        {
            _incoming.RemoveAll(c => c.IsEnded && c.ReceivedAt < before);
            _outgoing.RemoveAll(c => c.IsEnded && c.InviteSentAt < before);
            _otherRequests.RemoveAll(r => r.At < before);
        }
        _endpoint.Forget(age, 2000);
    }

    /// <summary>REGISTER with digest authentication (401 challenge, then credentials); waits for 200.</summary>
    public async Task RegisterAsync(TimeSpan timeout, int expires = 3600)
    {
        var tag = SipEndpoint.NewTag();
        var uri = $"sip:{Domain}:{_switch.Port.ToString(CultureInfo.InvariantCulture)}";
        SipMessage Build(string? header, string? authorization)
        {
            var request = SipMessage.Request("REGISTER", uri)
                .Add("Via", _endpoint.Via(SipEndpoint.NewBranch()))
                .Add("Max-Forwards", "70")
                .Add("From", $"<{Aor}>;tag={tag}")
                .Add("To", $"<{Aor}>")
                .Add("Call-ID", _registerCallId)
                .Add("CSeq", $"{Interlocked.Increment(ref _registerCSeq).ToString(CultureInfo.InvariantCulture)} REGISTER")
                .Add("Contact", $"<sip:{User}@{Contact.Address}:{Contact.Port.ToString(CultureInfo.InvariantCulture)}>")
                .Add("Expires", expires.ToString(CultureInfo.InvariantCulture))
                .Add("User-Agent", "EslCallflow-RealSwitch-Tests");
            if (header is not null && authorization is not null)
            {
                request.Add(header, authorization);
            }
            return request;
        }
        var final = await SendWithDigestAsync("REGISTER", uri, Build, timeout);
        if (final.StatusCode != 200)
        {
            throw new InvalidOperationException($"{User}: REGISTER got {final.StatusCode} {final.Reason}");
        }
    }

    /// <summary>
    /// SUBSCRIBE to <paramref name="user"/>'s dialog state (RFC 4235, Event: dialog, what a BLF key sends), digest
    /// authentication on 401/407; waits for the final response and returns it. The NOTIFYs that follow are answered
    /// 200 and recorded in <see cref="OtherRequests"/> with their times; <see cref="Notifies"/> reads them.
    /// </summary>
    public async Task<SipMessage> SubscribeDialogAsync(string user, TimeSpan timeout, int expires = 600)
    {
        var tag = SipEndpoint.NewTag();
        var callId = Guid.NewGuid().ToString("N");
        var cseq = 0;
        var target = $"sip:{user}@{Domain}";
        SipMessage Build(string? header, string? authorization)
        {
            var request = SipMessage.Request("SUBSCRIBE", target)
                .Add("Via", _endpoint.Via(SipEndpoint.NewBranch()))
                .Add("Max-Forwards", "70")
                .Add("From", $"<{Aor}>;tag={tag}")
                .Add("To", $"<{target}>")
                .Add("Call-ID", callId)
                .Add("CSeq", $"{(++cseq).ToString(CultureInfo.InvariantCulture)} SUBSCRIBE")
                .Add("Contact", $"<sip:{User}@{Contact.Address}:{Contact.Port.ToString(CultureInfo.InvariantCulture)}>")
                .Add("Event", "dialog")
                .Add("Accept", "application/dialog-info+xml")
                .Add("Expires", expires.ToString(CultureInfo.InvariantCulture))
                .Add("User-Agent", "EslCallflow-RealSwitch-Tests");
            if (header is not null && authorization is not null)
            {
                request.Add(header, authorization);
            }
            return request;
        }
        return await SendWithDigestAsync("SUBSCRIBE", target, Build, timeout);
    }

    /// <summary>
    /// Sends the request <paramref name="build"/> makes without credentials; on the first 401/407 sends it again
    /// with the digest answer (Authorization or Proxy-Authorization); returns the final response.
    /// </summary>
    private async Task<SipMessage> SendWithDigestAsync(string method, string uri, Func<string?, string?, SipMessage> build, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<SipMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var challenged = false;
        void OnResponse(SipMessage response, TimeSpan at)
        {
            if (response.StatusCode is 401 or 407 && !challenged)
            {
                challenged = true;
                var challenge = response[response.StatusCode == 401 ? "WWW-Authenticate" : "Proxy-Authenticate"] ?? string.Empty;
                var header = response.StatusCode == 401 ? "Authorization" : "Proxy-Authorization";
                lock (Gate)
                {
                    _endpoint.SendRequest(build(header, SipDigest.Answer(challenge, method, uri, User, _password)), _switch, OnResponse);
                }
            }
            else if (response.StatusCode >= 200)
            {
                done.TrySetResult(response);
            }
        }
        lock (Gate)
        {
            _endpoint.SendRequest(build(null, null), _switch, OnResponse);
        }
        return await done.Task.WaitAsync(timeout);
    }

    /// <summary>The NOTIFYs this phone received (answered 200), with their times, oldest first.</summary>
    public IReadOnlyList<(TimeSpan At, SipMessage Request)> Notifies => [.. OtherRequests.Where(r => r.Request.Method == "NOTIFY")];

    /// <summary>Dials <paramref name="number"/> at the switch; the 407 challenge is answered (RFC 3261 section 22.3).</summary>
    /// <param name="hangUpAfterAnswer">Send BYE this long after the 200 OK's ACK (a fumbled handset, an auto-answer that drops).</param>
    public OutgoingCall Dial(string number, TimeSpan? hangUpAfterAnswer = null)
    {
        var call = new OutgoingCall(this, number, Guid.NewGuid().ToString("N")) { HangUpAfterAnswer = hangUpAfterAnswer };
        lock (Gate)
        {
            _outgoing.Add(call);
            SendInvite(call, null);
        }
        return call;
    }

    private void SendInvite(OutgoingCall call, string? proxyAuthorization)
    {
        var uri = $"sip:{call.Number}@{Domain}";
        var invite = SipMessage.Request("INVITE", uri)
            .Add("Via", _endpoint.Via(SipEndpoint.NewBranch()))
            .Add("Max-Forwards", "70")
            .Add("From", $"<{Aor}>;tag={call.LocalTag}")
            .Add("To", $"<{uri}>")
            .Add("Call-ID", call.CallId)
            .Add("CSeq", $"{call.CSeq.ToString(CultureInfo.InvariantCulture)} INVITE")
            .Add("Contact", $"<sip:{User}@{Contact.Address}:{Contact.Port.ToString(CultureInfo.InvariantCulture)}>")
            .Add("User-Agent", "EslCallflow-RealSwitch-Tests")
            .Add("Content-Type", "application/sdp");
        if (proxyAuthorization is not null)
        {
            invite.Add("Proxy-Authorization", proxyAuthorization);
        }
        invite.Body = Sdp.Audio(MediaPort, _sessionId);
        call.CurrentInvite = invite;
        var transaction = _endpoint.SendRequest(invite, _switch, (response, at) => OnInviteResponse(call, invite, response, at));
        if (proxyAuthorization is not null || !ChallengedCalls)
        {
            call.InviteSentAt = transaction.SentAt;
        }
    }

    private void OnInviteResponse(OutgoingCall call, SipMessage invite, SipMessage response, TimeSpan at)
    {
        var authenticatedInvite = invite["Proxy-Authorization"] is not null || !ChallengedCalls;
        if (response.StatusCode is 401 or 407 && !authenticatedInvite)
        {
            AckFailure(invite, response);
            if (!call.Authenticated)
            {
                call.Authenticated = true;
                call.CSeq++;
                var challenge = response[response.StatusCode == 407 ? "Proxy-Authenticate" : "WWW-Authenticate"] ?? string.Empty;
                SendInvite(call, SipDigest.Answer(challenge, "INVITE", invite.RequestUri!, User, _password));
            }
            return;
        }
        if (!authenticatedInvite && response.StatusCode < 200)
        {
            // The 100 Trying to the INVITE that gets challenged: not part of the call the switch routes.
            return;
        }
        var first = !call.Responses.Any(r => r.Code == response.StatusCode && response.StatusCode >= 200);
        if (first)
        {
            call.Record(new ReceivedResponse(response.StatusCode, response.Reason ?? string.Empty, at, response.HasSdp));
        }
        if (response.StatusCode < 200)
        {
            return;
        }
        if (response.StatusCode >= 300)
        {
            AckFailure(invite, response);
            return;
        }
        // 2xx: the dialog is confirmed; the ACK is a new transaction to the remote target (and re-sent for a retransmitted 200).
        if (call.Ack is null)
        {
            call.RemoteTag = SipHeader.ParseNameAddress(response["To"] ?? string.Empty).Tag;
            call.RemoteTarget = response["Contact"] is { } contact ? SipHeader.ParseNameAddress(contact).Uri : invite.RequestUri;
            // A proxy that record-routes stays in the dialog: its Record-Route, reversed, is the caller's route set
            // (RFC 3261 section 12.1.2).
            call.RouteSet = [.. response.All("Record-Route").Reverse()];
            call.Ack = WithRoutes(SipMessage.Request("ACK", call.RemoteTarget!), call.RouteSet)
                .Add("Via", _endpoint.Via(SipEndpoint.NewBranch()))
                .Add("Max-Forwards", "70")
                .Add("From", invite["From"]!)
                .Add("To", response["To"]!)
                .Add("Call-ID", call.CallId)
                .Add("CSeq", $"{invite.CSeqNumber.ToString(CultureInfo.InvariantCulture)} ACK");
            if (call.HangUpAfterAnswer is { } after)
            {
                _ = Task.Run(async () =>
                {
                    if (after > TimeSpan.Zero)
                    {
                        await Task.Delay(after);
                    }
                    await HangUpAsync(call, CancellationToken.None);
                });
            }
        }
        _endpoint.SendOnce(call.Ack, _switch);
    }

    /// <summary>The ACK of a non-2xx final response: part of the INVITE's transaction (same branch, RFC 3261 section 17.1.1.3).</summary>
    private void AckFailure(SipMessage invite, SipMessage response)
    {
        var ack = SipMessage.Request("ACK", invite.RequestUri!)
            .Add("Via", invite["Via"]!)
            .Add("Max-Forwards", "70")
            .Add("From", invite["From"]!)
            .Add("To", response["To"]!)
            .Add("Call-ID", invite.CallId)
            .Add("CSeq", $"{invite.CSeqNumber.ToString(CultureInfo.InvariantCulture)} ACK");
        _endpoint.SendOnce(ack, _switch);
    }

    internal async Task CancelAsync(OutgoingCall call, CancellationToken cancellationToken)
    {
        // A CANCEL may only follow a provisional response (RFC 3261 section 9.1); FreeSWITCH sends 100 at once.
        await WaitAsync(() => call.Responses.Count > 0 ? call : null, TimeSpan.FromSeconds(5), $"{User}: a response before cancelling", cancellationToken: cancellationToken);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate)
        {
            var invite = call.CurrentInvite!;
            if (call.Final is not null)
            {
                return;
            }
            var cancel = SipMessage.Request("CANCEL", invite.RequestUri!)
                .Add("Via", invite["Via"]!)
                .Add("Max-Forwards", "70")
                .Add("From", invite["From"]!)
                .Add("To", invite["To"]!)
                .Add("Call-ID", invite.CallId)
                .Add("CSeq", $"{invite.CSeqNumber.ToString(CultureInfo.InvariantCulture)} CANCEL");
            call.CancelSentAt = _endpoint.SendRequest(cancel, _switch, (response, _) =>
            {
                if (response.StatusCode >= 200)
                {
                    done.TrySetResult();
                }
            }).SentAt;
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    internal async Task HangUpAsync(OutgoingCall call, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate)
        {
            if (call.Ack is null || call.ByeReceivedAt is not null || call.ByeSentAt is not null)
            {
                return;
            }
            call.CSeq++;
            var bye = WithRoutes(SipMessage.Request("BYE", call.RemoteTarget!), call.RouteSet)
                .Add("Via", _endpoint.Via(SipEndpoint.NewBranch()))
                .Add("Max-Forwards", "70")
                .Add("From", call.CurrentInvite!["From"]!)
                .Add("To", call.Ack["To"]!)
                .Add("Call-ID", call.CallId)
                .Add("CSeq", $"{call.CSeq.ToString(CultureInfo.InvariantCulture)} BYE");
            call.ByeSentAt = _endpoint.SendRequest(bye, _switch, (response, _) =>
            {
                if (response.StatusCode >= 200)
                {
                    call.ByeResponse = response.StatusCode;
                    done.TrySetResult(response.StatusCode);
                }
            }).SentAt;
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    internal async Task HangUpAsync(IncomingCall call, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate)
        {
            if (call.AnsweredAt is null || call.IsEnded)
            {
                return;
            }
            var invite = call.Invite;
            var target = invite["Contact"] is { } contact ? SipHeader.ParseNameAddress(contact).Uri : invite.RequestUri!;
            // The callee's route set is the INVITE's Record-Route in order (RFC 3261 section 12.1.1).
            var bye = WithRoutes(SipMessage.Request("BYE", target), [.. invite.All("Record-Route")])
                .Add("Via", _endpoint.Via(SipEndpoint.NewBranch()))
                .Add("Max-Forwards", "70")
                .Add("From", $"{invite["To"]};tag={call.LocalTag}")
                .Add("To", invite["From"]!)
                .Add("Call-ID", invite.CallId)
                .Add("CSeq", $"{call.LocalCSeq++.ToString(CultureInfo.InvariantCulture)} BYE");
            call.ByeSentAt = _endpoint.SendRequest(bye, call.Transaction.Source, (response, _) =>
            {
                if (response.StatusCode >= 200)
                {
                    done.TrySetResult(response.StatusCode);
                }
            }).SentAt;
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    private static SipMessage WithRoutes(SipMessage request, IReadOnlyList<string> routes)
    {
        foreach (var route in routes)
        {
            request.Add("Route", route);
        }
        return request;
    }

    /// <summary>Sends <paramref name="digit"/> in the answered call as SIP INFO (application/dtmf-relay), as many phones and gateways do.</summary>
    internal async Task SendInfoDtmfAsync(IncomingCall call, char digit, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate)
        {
            var invite = call.Invite;
            var target = invite["Contact"] is { } contact ? SipHeader.ParseNameAddress(contact).Uri : invite.RequestUri!;
            var info = SipMessage.Request("INFO", target)
                .Add("Via", _endpoint.Via(SipEndpoint.NewBranch()))
                .Add("Max-Forwards", "70")
                .Add("From", $"{invite["To"]};tag={call.LocalTag}")
                .Add("To", invite["From"]!)
                .Add("Call-ID", invite.CallId)
                .Add("CSeq", $"{call.LocalCSeq++.ToString(CultureInfo.InvariantCulture)} INFO")
                .Add("Content-Type", "application/dtmf-relay");
            info.Body = $"Signal={digit}\r\nDuration=160\r\n";
            _endpoint.SendRequest(info, call.Transaction.Source, (response, _) =>
            {
                if (response.StatusCode >= 200)
                {
                    done.TrySetResult(response.StatusCode);
                }
            });
        }
        var status = await done.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        if (status is < 200 or >= 300)
        {
            throw new InvalidOperationException($"INFO {digit} from {User} answered {status}");
        }
    }

    internal void Answer(IncomingCall call)
    {
        lock (Gate)
        {
            if (!call.IsRinging)
            {
                return;
            }
            var ok = SipEndpoint.ResponseTo(call.Invite, 200, "OK", call.LocalTag);
            ok.Add("Contact", $"<sip:{User}@{Contact.Address}:{Contact.Port.ToString(CultureInfo.InvariantCulture)}>").Add("Content-Type", "application/sdp");
            ok.Body = Sdp.Audio(MediaPort, _sessionId);
            call.AnsweredAt = SipClock.Now;
            _endpoint.Respond(call.Transaction, ok);
        }
    }

    internal void Reject(IncomingCall call, int code)
    {
        lock (Gate)
        {
            if (!call.IsRinging)
            {
                return;
            }
            call.RejectedWith = code;
            call.RejectedAt = SipClock.Now;
            _endpoint.Respond(call.Transaction, SipEndpoint.ResponseTo(call.Invite, code, PhoneBehaviour.ReasonPhrase(code), call.LocalTag));
        }
    }

    /// <summary>Waits until <paramref name="probe"/> (run under the phone's lock) returns a value.</summary>
    public async Task<T> WaitAsync<T>(Func<T?> probe, TimeSpan timeout, string what, Func<string?>? failure = null, CancellationToken cancellationToken = default)
        where T : class
    {
        var deadline = SipClock.Now + timeout;
        while (true)
        {
            lock (Gate)
            {
                if (probe() is { } value)
                {
                    return value;
                }
                if (failure?.Invoke() is { } why)
                {
                    throw new InvalidOperationException($"waiting for {what}: {why}");
                }
            }
            if (SipClock.Now > deadline)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:F1} s for {what}");
            }
            await Task.Delay(5, cancellationToken);
        }
    }

    /// <summary>Waits for the <paramref name="count"/>-th INVITE this phone gets (1 = the first since the last reset).</summary>
    public Task<IncomingCall> InviteAsync(TimeSpan timeout, int count = 1) =>
        WaitAsync(() => _incoming.Count >= count ? _incoming[count - 1] : null, timeout, $"INVITE #{count} at {User}");

    private SipMessage Ok(SipMessage request) => SipEndpoint.ResponseTo(request, 200, "OK", SipEndpoint.NewTag());

    private void OnRequest(SipMessage request, ServerTransaction? transaction, TimeSpan at)
    {
        switch (request.Method)
        {
            case "ACK":
                foreach (var call in _incoming.Where(c => c.CallId == request.CallId && c.AckedAt is null))
                {
                    call.AckedAt = at;
                    call.Transaction.Acknowledged = true;
                }
                foreach (var reInvite in _reInvites.Where(t => t.Request.CallId == request.CallId))
                {
                    reInvite.Acknowledged = true;
                }
                _reInvites.RemoveAll(t => t.Acknowledged);
                return;
            case "INVITE" when SipHeader.ParseNameAddress(request["To"] ?? string.Empty).Tag is null:
                OnInvite(request, transaction!, at);
                return;
            case "INVITE":
                // A re-INVITE in an existing dialog (a media refresh): accept it with the same session.
                var reOk = SipEndpoint.ResponseTo(request, 200, "OK", null)
                    .Add("Contact", $"<sip:{User}@{Contact.Address}:{Contact.Port.ToString(CultureInfo.InvariantCulture)}>")
                    .Add("Content-Type", "application/sdp");
                reOk.Body = Sdp.Audio(MediaPort, _sessionId);
                _otherRequests.Add((at, request));
                _reInvites.Add(transaction!);
                _endpoint.Respond(transaction!, reOk);
                return;
            case "CANCEL":
                _endpoint.Respond(transaction!, Ok(request));
                var cancelled = _incoming.LastOrDefault(c => c.CallId == request.CallId);
                if (cancelled is not null && cancelled.CancelledAt is null)
                {
                    cancelled.CancelledAt = at;
                    cancelled.CancelReason = request["Reason"];
                    if (cancelled.AnsweredAt is null && cancelled.RejectedAt is null)
                    {
                        _endpoint.Respond(cancelled.Transaction, SipEndpoint.ResponseTo(cancelled.Invite, 487, "Request Terminated", cancelled.LocalTag));
                    }
                }
                return;
            case "BYE":
                var incoming = _incoming.LastOrDefault(c => c.CallId == request.CallId);
                var outgoing = _outgoing.LastOrDefault(c => c.CallId == request.CallId);
                _endpoint.Respond(transaction!, incoming is null && outgoing is null
                    ? SipEndpoint.ResponseTo(request, 481, PhoneBehaviour.ReasonPhrase(481), SipEndpoint.NewTag())
                    : Ok(request));
                if (incoming is not null)
                {
                    incoming.ByeReceivedAt ??= at;
                }
                if (outgoing is not null)
                {
                    outgoing.ByeReceivedAt ??= at;
                    outgoing.ByeReason ??= request["Reason"];
                }
                return;
            default:
                _otherRequests.Add((at, request));
                _endpoint.Respond(transaction!, Ok(request));
                return;
        }
    }

    private void OnInvite(SipMessage invite, ServerTransaction transaction, TimeSpan at)
    {
        var call = new IncomingCall(this, invite, transaction, at);
        _incoming.Add(call);
        var behaviour = Behaviour;
        var generation = _generation;
        _endpoint.Respond(transaction, SipEndpoint.ResponseTo(invite, 100, "Trying", null));
        if (behaviour.Provisional != Provisional.None)
        {
            var early = behaviour.Provisional == Provisional.EarlyMedia;
            var progress = SipEndpoint.ResponseTo(invite, early ? 183 : 180, early ? "Session Progress" : "Ringing", call.LocalTag)
                .Add("Contact", $"<sip:{User}@{Contact.Address}:{Contact.Port.ToString(CultureInfo.InvariantCulture)}>");
            if (early)
            {
                progress.Add("Content-Type", "application/sdp");
                progress.Body = Sdp.Audio(MediaPort, _sessionId);
            }
            call.ProvisionalAt = at;
            _endpoint.Respond(transaction, progress);
        }
        if (behaviour.AnswerAfter is { } answerAfter)
        {
            Later(answerAfter, generation, () => Answer(call));
        }
        else if (behaviour.RejectCode is { } code)
        {
            Later(behaviour.RejectAfter, generation, () => Reject(call, code));
        }
    }

    private void Later(TimeSpan delay, int generation, Action action)
    {
        if (delay <= TimeSpan.Zero)
        {
            action();
            return;
        }
        _ = Task.Run(async () =>
        {
            await Task.Delay(delay);
            lock (Gate)
            {
                if (generation == _generation)
                {
                    action();
                }
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        _media.Dispose();
    }
}
