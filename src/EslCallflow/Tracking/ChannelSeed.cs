namespace EslCallflow.Tracking;

/// <summary>A channel as a full query of the switch reports it (one row of <c>show channels as json</c>).</summary>
public sealed record ChannelSeed(
    string Uuid,
    bool Outbound,
    string CallState,
    bool Answered,
    long CreatedMicros,
    string? OtherLeg,
    string? SipIdentity,
    string? DeviceId);
