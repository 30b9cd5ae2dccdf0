namespace EslCallflow.Records;

/// <summary>
/// Builds one call's record as the call goes and sends each step out as an event (in order, numbered from 1).
/// The call's handler and modules tell it what happened; it never blocks and never throws into a call.
/// </summary>
public sealed class CallRecorder
{
    private readonly Lock _gate = new();
    private readonly CallRecords _owner;
    private readonly TimeProvider _time;
    private CallRecord _record;
    private long _sequence;
    private bool _ended;

    internal CallRecorder(CallRecords owner, CallRecord record, TimeProvider time)
    {
        _owner = owner;
        _record = record;
        _time = time;
    }

    /// <summary>The record as it stands now.</summary>
    public CallRecord Current
    {
        get
        {
            lock (_gate)
            {
                return _record;
            }
        }
    }

    internal void Started() => Change(CallEventType.Started, r => r);

    /// <summary>A ring attempt went out (or found nobody to ring: then it is recorded without an event).</summary>
    public void Ringing(int attempt, string module, string strategy, IReadOnlyList<string> rung, IReadOnlyList<LeftOut> leftOut)
    {
        var ring = new RingAttempt(attempt, module, strategy, Now, rung, leftOut);
        Change(rung.Count > 0 ? CallEventType.Ringing : null, r => r with { RingAttempts = [.. r.RingAttempts, ring] });
    }

    /// <summary>The outcome a module decided (the daemon's outcome model, <see cref="Calls.CallOutcome"/>).</summary>
    public void Decided(string outcome) => Change(null, r => r with { Outcome = outcome });

    public void Answered(string deviceId, string? legUuid, double ringSeconds) =>
        Change(CallEventType.Answered, r => r with { Answered = new AnswerInfo(deviceId, legUuid, Math.Round(ringSeconds, 3), Now) });

    /// <summary>The conversation after an answer ended.</summary>
    public void TalkEnded(double talkSeconds, string hungUpBy, string cause) =>
        Change(null, r => r with { TalkSeconds = Math.Round(talkSeconds, 3), HungUpBy = hungUpBy, HangupCause = cause });

    /// <summary>This ringing call was taken by a pickup.</summary>
    public void PickedUp(string byDeviceId, string? pickerCallUuid, string? fromDeviceId) =>
        Change(CallEventType.PickedUp, r => r with { PickedUp = new PickedUpInfo(byDeviceId, pickerCallUuid, fromDeviceId, Now) });

    public void Missed(string cause) =>
        Change(CallEventType.Missed, r => r with { Missed = new MissedInfo(cause, cause == "ORIGINATOR_CANCEL") });

    /// <summary>How this pickup call ended (picked_up, refused, nothing_to_pick_up, unknown_target, caller_gone).</summary>
    public void Pickup(string outcome, string? pickedCallUuid, string? fromDeviceId, int? sipCode)
    {
        var type = outcome switch
        {
            "picked_up" => CallEventType.PickedUp,
            "refused" => CallEventType.PickupRefused,
            "nothing_to_pick_up" => CallEventType.NothingToPickUp,
            "unknown_target" => CallEventType.PickupUnknownTarget,
            _ => null,
        };
        Change(type, r => r with { Pickup = new PickupInfo(outcome, pickedCallUuid, fromDeviceId, sipCode, Now) });
    }

    /// <summary>The call is over: the final outcome, how it ended; the whole record goes out as <c>call.ended</c>.</summary>
    public void Ended(string outcome, string? hangupCause, string? hungUpBy)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }
            _ended = true;
        }
        Change(CallEventType.Ended, r => r with
        {
            Outcome = outcome,
            HangupCause = r.HangupCause ?? hangupCause,
            HungUpBy = r.HungUpBy ?? hungUpBy,
            EndedAt = Now,
        });
        _owner.Finished(this);
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    private void Change(string? eventType, Func<CallRecord, CallRecord> change)
    {
        lock (_gate)
        {
            _record = change(_record);
            if (eventType is not null)
            {
                // Under the lock: the events of one call reach the dispatcher in sequence order.
                _owner.Publish(new CallEvent(eventType, ++_sequence, Now, _record));
            }
        }
    }
}
