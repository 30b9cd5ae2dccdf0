namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>
/// An INVITE a phone received and what became of it, as the phone saw it on the wire: the headers that say
/// who calls and how to ring, and when it was answered, rejected, cancelled (and why) or hung up.
/// Read it after a wait on its phone (the phone's lock makes the values visible).
/// </summary>
public sealed class IncomingCall
{
    private readonly SipPhone _phone;

    internal IncomingCall(SipPhone phone, SipMessage invite, ServerTransaction transaction, TimeSpan receivedAt)
    {
        _phone = phone;
        Invite = invite;
        Transaction = transaction;
        ReceivedAt = receivedAt;
        LocalTag = SipEndpoint.NewTag();
        From = SipHeader.ParseNameAddress(invite["From"] ?? string.Empty);
    }

    public SipPhone Phone => _phone;
    public SipMessage Invite { get; }
    internal ServerTransaction Transaction { get; }
    internal string LocalTag { get; }
    internal int LocalCSeq { get; set; } = 1;

    /// <summary>When the INVITE reached the phone (the first datagram, not a retransmission).</summary>
    public TimeSpan ReceivedAt { get; }

    public string CallId => Invite.CallId;

    /// <summary>The From header: the caller id name (display name) and number (user) the phone shows.</summary>
    public NameAddress From { get; }

    public string? AlertInfo => Invite["Alert-Info"];
    public string? PAssertedIdentity => Invite["P-Asserted-Identity"];
    public string? RemotePartyId => Invite["Remote-Party-ID"];

    public TimeSpan? ProvisionalAt { get; internal set; }
    public TimeSpan? AnsweredAt { get; internal set; }
    public TimeSpan? AckedAt { get; internal set; }
    public int? RejectedWith { get; internal set; }
    public TimeSpan? RejectedAt { get; internal set; }
    public TimeSpan? CancelledAt { get; internal set; }

    /// <summary>The CANCEL's Reason header, e.g. <c>SIP;cause=200;text="Call completed elsewhere"</c>.</summary>
    public string? CancelReason { get; internal set; }

    public TimeSpan? ByeReceivedAt { get; internal set; }
    public TimeSpan? ByeSentAt { get; internal set; }

    /// <summary>How long the phone rang: from the INVITE to its CANCEL, answer or rejection.</summary>
    public TimeSpan? RingTime => (CancelledAt ?? AnsweredAt ?? RejectedAt) - ReceivedAt;

    public bool IsRinging => AnsweredAt is null && RejectedAt is null && CancelledAt is null;

    public bool IsEnded => CancelledAt is not null || RejectedAt is not null || ByeReceivedAt is not null || ByeSentAt is not null;

    public void Answer() => _phone.Answer(this);

    /// <summary>Presses <paramref name="digit"/>: a SIP INFO with an application/dtmf-relay body.</summary>
    public Task SendInfoDtmfAsync(char digit, CancellationToken cancellationToken = default) => _phone.SendInfoDtmfAsync(this, digit, cancellationToken);

    public void Reject(int code) => _phone.Reject(this, code);

    public Task HangUpAsync(CancellationToken cancellationToken = default) => _phone.HangUpAsync(this, cancellationToken);

    public override string ToString() =>
        $"{_phone.User} INVITE at {ReceivedAt.TotalSeconds:F3} from {From.DisplayName} <{From.User}> [{CallId}]"
        + (AnsweredAt is { } a ? $" answered {a.TotalSeconds:F3}" : string.Empty)
        + (RejectedAt is { } r ? $" rejected {RejectedWith} {r.TotalSeconds:F3}" : string.Empty)
        + (CancelledAt is { } c ? $" cancelled {c.TotalSeconds:F3} ({CancelReason})" : string.Empty)
        + (ByeReceivedAt is { } b ? $" BYE {b.TotalSeconds:F3}" : string.Empty);
}
