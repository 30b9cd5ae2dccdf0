namespace EslCallflow.Records;

/// <summary>
/// One call as the daemon handled it (issue 19), built as the call goes: each change is a new snapshot, so an
/// event carries the record as it stood then. <see cref="Outcome"/> is the daemon's own call outcome (the one
/// <c>eslcallflow_calls_total</c> counts), set when a module decides it and final when the call ends.
/// </summary>
public sealed record CallRecord
{
    /// <summary>Stable id of this record: a receiver de-duplicates on it and the event's sequence number.</summary>
    public required string RecordId { get; init; }

    public required string CallUuid { get; init; }

    /// <summary>The number dialled.</summary>
    public required string Number { get; init; }

    /// <summary>The callflow that handled it; null for a number with none (outcome <c>unallocated</c>).</summary>
    public string? CallflowId { get; init; }

    public required CallerInfo Caller { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Every ring attempt, in order (a ring group's repeats, a child that rings again).</summary>
    public IReadOnlyList<RingAttempt> RingAttempts { get; init; } = [];

    /// <summary>The call's outcome so far (answered, picked_up, missed, refused, nothing_to_pick_up, unallocated, error, ...).</summary>
    public string? Outcome { get; init; }

    /// <summary>A phone answered: which, after how long.</summary>
    public AnswerInfo? Answered { get; init; }

    /// <summary>This call, ringing, was picked up by another phone: by whom, from which phone, and the picker's call.</summary>
    public PickedUpInfo? PickedUp { get; init; }

    /// <summary>This call is a pickup (group_pickup, directed pickup): what it took, or why it took nothing.</summary>
    public PickupInfo? Pickup { get; init; }

    /// <summary>Nobody answered: the cause (<c>ORIGINATOR_CANCEL</c> when the caller hung up first).</summary>
    public MissedInfo? Missed { get; init; }

    /// <summary>Seconds of conversation once answered, when it ended.</summary>
    public double? TalkSeconds { get; init; }

    public string? HangupCause { get; init; }

    /// <summary><c>caller</c>, the answering device's id, or <c>daemon</c> (it hung up or responded); null when not known.</summary>
    public string? HungUpBy { get; init; }

    public DateTimeOffset? EndedAt { get; init; }
}

/// <summary>Who called: a known device (<c>internal</c>) or <c>external</c>, and the caller id the switch gave.</summary>
public sealed record CallerInfo(string DeviceId, bool Internal, string? CallerIdName, string? CallerIdNumber);

/// <summary>One ring attempt: the strategy, the devices rung, and those left out with the reason.</summary>
public sealed record RingAttempt(int Attempt, string Module, string Strategy, DateTimeOffset StartedAt, IReadOnlyList<string> Rung, IReadOnlyList<LeftOut> LeftOut);

public sealed record LeftOut(string DeviceId, string Reason);

public sealed record AnswerInfo(string DeviceId, string? LegUuid, double RingSeconds, DateTimeOffset At);

/// <summary>On the picked call: the picker's device and call, and the device the call was ringing on when taken.</summary>
public sealed record PickedUpInfo(string ByDeviceId, string? PickerCallUuid, string? FromDeviceId, DateTimeOffset At);

/// <summary>On the picker's call: the outcome, and for a success the call taken and the device it rang on.</summary>
public sealed record PickupInfo(string Outcome, string? PickedCallUuid, string? FromDeviceId, int? SipCode, DateTimeOffset At);

public sealed record MissedInfo(string Cause, bool CallerHungUp);
