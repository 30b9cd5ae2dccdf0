namespace EslCallflow.Tracking;

/// <summary>One channel as the tracker holds it. Mutated only under the tracker's lock.</summary>
internal sealed class TrackedChannel(string uuid)
{
    public string Uuid { get; } = uuid;
    public string? OtherLeg { get; set; }
    public bool Outbound { get; set; }
    public string CallState { get; set; } = "DOWN";
    public bool Answered { get; set; }
    public bool Ended { get; set; }
    public string? HangupCause { get; set; }
    public long CreatedMicros { get; set; }
    public long RingingSinceMicros { get; set; }
    public string? DeviceId { get; set; }
    public string? SipIdentity { get; set; }

    /// <summary>The device the channel rings, once the feed has shown it: the daemon's device variable, else its SIP identity.</summary>
    public string? Device => DeviceId ?? SipIdentity;

    public long LastSeen { get; set; }

    /// <summary>Joined to another leg now (between its CHANNEL_BRIDGE and CHANNEL_UNBRIDGE, as either leg).</summary>
    public bool Bridged { get; set; }

    /// <summary>Whether it was still joined when it hung up: null until its CHANNEL_HANGUP.</summary>
    public bool? HungUpWhileBridged { get; set; }

    /// <summary>The device keys this channel is filed under in the ringing index (empty when not ringing).</summary>
    public string[] IndexedUnder { get; set; } = [];

    /// <summary>What <see cref="IndexedUnder"/> was worked out from: while that is unchanged, so are the keys.</summary>
    public (bool Ringing, string? DeviceId, string? SipIdentity) IndexedFrom { get; set; }

    /// <summary>What the tracker's observer was last told of this leg: its caller and keys while ringing, else nothing.</summary>
    public (string? OtherLeg, string[]? Keys) Told { get; set; }

    /// <summary>Behaviour rule 4: toward a phone, not answered, RINGING or EARLY.</summary>
    public bool IsRinging => Outbound && !Answered && !Ended && CallState is "RINGING" or "EARLY";

    public ChannelView ToView() => new(Uuid, OtherLeg, Outbound ? "outbound" : "inbound", CallState, Answered, CreatedMicros, RingingSinceMicros, DeviceId, SipIdentity);
}

/// <summary>A read-only copy of a tracked channel, for queries, logs and the HTTP endpoints.</summary>
public sealed record ChannelView(
    string Uuid,
    string? OtherLeg,
    string Direction,
    string CallState,
    bool Answered,
    long CreatedMicros,
    long RingingSinceMicros,
    string? DeviceId,
    string? SipIdentity);

/// <summary>How a channel left the tracker: its hangup cause if the feed said it, and whether its end was seen at all.</summary>
/// <param name="Order">Ends the tracker learned earlier have smaller numbers (0: it did not learn it, the switch said so).</param>
public sealed record ChannelEnd(string Uuid, string? Cause, bool Seen, long Order = 0)
{
    /// <summary>The device it rang, when the feed had shown it (a ring group's answer is told by it after the leg is gone).</summary>
    public string? Device { get; init; }
}
