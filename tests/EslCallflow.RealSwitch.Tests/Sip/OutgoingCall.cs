namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>A response the caller got to its INVITE.</summary>
public sealed record ReceivedResponse(int Code, string Reason, TimeSpan At, bool HasSdp)
{
    public override string ToString() => $"{Code} {Reason}{(HasSdp ? " (SDP)" : string.Empty)} at {At.TotalSeconds:F3}";
}

/// <summary>
/// A call a phone placed through the switch (digest-authenticated INVITE), and every response it got with
/// its time. The caller can cancel it before answer or hang it up after; a BYE from the switch is answered
/// and recorded. Read it after a wait on its phone.
/// </summary>
public sealed class OutgoingCall
{
    private readonly SipPhone _phone;
    private readonly List<ReceivedResponse> _responses = [];

    internal OutgoingCall(SipPhone phone, string number, string callId)
    {
        _phone = phone;
        Number = number;
        CallId = callId;
    }

    public SipPhone Phone => _phone;
    public string Number { get; }
    public string CallId { get; }

    internal string LocalTag { get; } = SipEndpoint.NewTag();
    internal int CSeq { get; set; } = 1;
    internal SipMessage? CurrentInvite { get; set; }
    internal SipMessage? Ack { get; set; }

    /// <summary>When set, the phone hangs up this long after it acknowledged the 200 OK.</summary>
    public TimeSpan? HangUpAfterAnswer { get; init; }
    internal string? RemoteTag { get; set; }
    internal string? RemoteTarget { get; set; }
    internal IReadOnlyList<string> RouteSet { get; set; } = [];
    internal bool Authenticated { get; set; }

    /// <summary>When the authenticated INVITE (the one FreeSWITCH routes) left the caller.</summary>
    public TimeSpan InviteSentAt { get; internal set; }

    public IReadOnlyList<ReceivedResponse> Responses => _responses;

    /// <summary>The first response the switch sent to the authenticated INVITE other than 100 Trying.</summary>
    public ReceivedResponse? FirstProgress => _responses.FirstOrDefault(r => r.Code is > 100 and < 200);

    public ReceivedResponse? Final => _responses.FirstOrDefault(r => r.Code >= 200 && r.Code is not 401 and not 407);

    public TimeSpan? AnsweredAt => Final is { Code: >= 200 and < 300 } f ? f.At : null;

    public bool IsAnswered => AnsweredAt is not null;

    public TimeSpan? CancelSentAt { get; internal set; }
    public TimeSpan? ByeSentAt { get; internal set; }
    public int? ByeResponse { get; internal set; }
    public TimeSpan? ByeReceivedAt { get; internal set; }

    /// <summary>The BYE's Reason header when the switch hung up, if it gave one.</summary>
    public string? ByeReason { get; internal set; }

    public bool IsEnded => (Final is { } f && f.Code >= 300) || ByeReceivedAt is not null || ByeResponse is not null;

    internal void Record(ReceivedResponse response) => _responses.Add(response);

    public Task CancelAsync(CancellationToken cancellationToken = default) => _phone.CancelAsync(this, cancellationToken);

    public Task HangUpAsync(CancellationToken cancellationToken = default) => _phone.HangUpAsync(this, cancellationToken);

    /// <summary>Waits until the call has a final response (answered or failed).</summary>
    public Task<ReceivedResponse> FinalAsync(TimeSpan timeout) =>
        _phone.WaitAsync(() => Final, timeout, $"{_phone.User} calling {Number}: a final response");

    public Task<ReceivedResponse> AnsweredAsync(TimeSpan timeout) =>
        _phone.WaitAsync(() => Final is { Code: >= 200 and < 300 } f ? f : null, timeout, $"{_phone.User} calling {Number}: 200 OK", () => Final is { Code: >= 300 } failed ? $"the call failed with {failed}" : null);

    public override string ToString() =>
        $"{_phone.User} -> {Number} [{CallId}] INVITE at {InviteSentAt.TotalSeconds:F3}: {string.Join(", ", _responses)}"
        + (CancelSentAt is { } c ? $"; CANCEL sent {c.TotalSeconds:F3}" : string.Empty)
        + (ByeSentAt is { } b ? $"; BYE sent {b.TotalSeconds:F3}" : string.Empty)
        + (ByeReceivedAt is { } r ? $"; BYE received {r.TotalSeconds:F3}" : string.Empty);
}
