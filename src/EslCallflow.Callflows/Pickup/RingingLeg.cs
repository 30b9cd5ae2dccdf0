namespace EslCallflow.Callflows.Pickup;

/// <summary>
/// A leg toward a phone that is ringing now, as the channel tracker sees it. <paramref name="DeviceId"/> is our
/// per-leg device variable when we rang it; <paramref name="SipIdentity"/> (<c>user@realm</c>) comes from the
/// leg's presence_id or dialled user and domain, so legs rung by plain FreeSWITCH bridges are found too.
/// <paramref name="RingingSince"/> is the switch's event time in microseconds.
/// </summary>
public sealed record RingingLeg(string LegUuid, string? CallerUuid, string? DeviceId, string? SipIdentity, long RingingSince);
