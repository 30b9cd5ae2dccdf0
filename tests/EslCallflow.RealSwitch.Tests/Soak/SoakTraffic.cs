using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// Places one soak call of a kind and follows it to its end as the phones see it. Each kind has phones of its own
/// whose behaviour never changes during the run (a phone answers, rings or is busy for every call it gets), so kinds
/// never take each other's calls: only 7201 rings sales phones, which 8000 picks from.
/// </summary>
public sealed class SoakTraffic(Func<string, SipPhone> phone) : IDisposable
{
    /// <summary>Soak users the switch's directory gets for the run, with how each behaves when rung.</summary>
    public static readonly IReadOnlyDictionary<string, PhoneBehaviour> Users = new Dictionary<string, PhoneBehaviour>
    {
        ["2001"] = PhoneBehaviour.AnswersAfter(TimeSpan.FromSeconds(1)),
        ["2002"] = PhoneBehaviour.Rings,
        ["2003"] = PhoneBehaviour.AnswersAfter(TimeSpan.FromMilliseconds(500)),
        ["2004"] = PhoneBehaviour.Busy(TimeSpan.FromMilliseconds(300)),
        ["2005"] = PhoneBehaviour.AnswersAfter(TimeSpan.FromMilliseconds(1500)),
        ["2006"] = PhoneBehaviour.Rings,
        ["2007"] = PhoneBehaviour.Rings,
        ["2008"] = PhoneBehaviour.Rings,
        ["2009"] = PhoneBehaviour.Rings,
        ["2011"] = PhoneBehaviour.Rings,
        ["2012"] = PhoneBehaviour.Rings,
        ["2013"] = PhoneBehaviour.Rings,
        ["2014"] = PhoneBehaviour.Rings,
        ["2015"] = PhoneBehaviour.Rings,
        ["2016"] = PhoneBehaviour.Rings,
    };

    /// <summary>Ring, answer and a child's ring on a loaded machine: an answered call is answered well within this.</summary>
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RingBeforeHangingUp = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan PickupHold = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _groupPickup = new(1, 1);
    private readonly SemaphoreSlim _directedPickup = new(1, 1);

    /// <summary>A conversation of a few seconds, as people have them (2 to 4 s: the phones' load stays what a PBX sees).</summary>
    private static TimeSpan Hold() => TimeSpan.FromMilliseconds(Random.Shared.Next(2000, 4000));

    public async Task<SoakCall> RunAsync(SoakKind kind, int index, TimeSpan startedAt, CancellationToken cancellationToken)
    {
        var call = new SoakCall(index, kind, startedAt);
        try
        {
            call.Outcome = kind switch
            {
                SoakKind.Answered => await AnsweredAsync("2011", kind.Number(), cancellationToken),
                SoakKind.MissedToChild => await AnsweredAsync("2012", kind.Number(), cancellationToken),
                SoakKind.BusyMember => await AnsweredAsync("2013", kind.Number(), cancellationToken),
                SoakKind.CallerHangsUp => await CallerHangsUpAsync(cancellationToken),
                SoakKind.GroupPickup => await PickupAsync(call, _groupPickup, "2015", "1006", "8000", cancellationToken),
                SoakKind.DirectedPickup => await PickupAsync(call, _directedPickup, "2016", "2009", "*72008", cancellationToken),
                _ => await RefusedAsync(),
            };
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException)
        {
            call.Outcome = "failed: " + ex.Message;
        }
        call.EndedAt = SipClock.Now;
        return call;
    }

    private async Task<string> AnsweredAsync(string caller, string number, CancellationToken cancellationToken)
    {
        var call = phone(caller).Dial(number);
        try
        {
            if (await AnswerAsync(call, AnswerWithin) is { } failure)
            {
                return failure;
            }
            await Task.Delay(Hold(), cancellationToken);
            await call.HangUpAsync(cancellationToken);
            return "answered";
        }
        finally
        {
            await EndAsync(call);
        }
    }

    private async Task<string> CallerHangsUpAsync(CancellationToken cancellationToken)
    {
        var call = phone("2014").Dial(SoakKind.CallerHangsUp.Number());
        try
        {
            await call.Phone.WaitAsync(() => call.FirstProgress ?? call.Final, Soon, "180 Ringing", cancellationToken: cancellationToken);
            await Task.Delay(RingBeforeHangingUp, cancellationToken);
            await call.CancelAsync(cancellationToken);
            var final = await call.FinalAsync(Soon);
            return final.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            await EndAsync(call);
        }
    }

    /// <summary>
    /// The caller rings the target; once it rings (the caller has its 180) and a person would have reacted, the
    /// picker dials the pickup code; both must be answered. The next pickup of the kind waits until then.
    /// </summary>
    private async Task<string> PickupAsync(SoakCall soak, SemaphoreSlim oneAtATime, string caller, string picker, string code, CancellationToken cancellationToken)
    {
        var queued = SipClock.Now;
        await oneAtATime.WaitAsync(cancellationToken);
        soak.QueuedFor = SipClock.Now - queued;
        OutgoingCall? ringing = null;
        OutgoingCall? picking = null;
        var released = false;
        try
        {
            ringing = phone(caller).Dial(soak.Kind.Number());
            await ringing.Phone.WaitAsync(() => ringing.FirstProgress ?? ringing.Final, Soon, "180 Ringing", cancellationToken: cancellationToken);
            if (ringing.Final is { } early)
            {
                return $"caller got {early.Code}";
            }
            await Task.Delay(Wire.ReactionTime, cancellationToken);
            picking = phone(picker).Dial(code);
            if (await AnswerAsync(picking, Soon) is { } pickerFailure)
            {
                return "picker " + pickerFailure;
            }
            if (await AnswerAsync(ringing, Soon) is { } callerFailure)
            {
                return "caller " + callerFailure;
            }
            oneAtATime.Release();
            released = true;
            await Task.Delay(PickupHold, cancellationToken);
            await picking.HangUpAsync(cancellationToken);
            await ringing.Phone.WaitAsync(() => ringing.ByeReceivedAt is not null ? ringing : null, Soon, "the caller's BYE after the picker hung up", cancellationToken: cancellationToken);
            return "picked up";
        }
        finally
        {
            if (!released)
            {
                oneAtATime.Release();
            }
            if (picking is not null)
            {
                await EndAsync(picking);
            }
            if (ringing is not null)
            {
                await EndAsync(ringing);
            }
        }
    }

    private async Task<string> RefusedAsync()
    {
        var call = phone("1004").Dial("8000");
        try
        {
            var final = await call.FinalAsync(Soon);
            return final.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            await EndAsync(call);
        }
    }

    /// <summary>Null once the call is answered; otherwise what it got instead.</summary>
    private static async Task<string?> AnswerAsync(OutgoingCall call, TimeSpan within)
    {
        try
        {
            await call.AnsweredAsync(within);
            return null;
        }
        catch (InvalidOperationException)
        {
            return $"got {call.Final!.Code}";
        }
        catch (TimeoutException)
        {
            return $"no answer within {within.TotalSeconds:F0} s";
        }
    }

    public void Dispose()
    {
        _groupPickup.Dispose();
        _directedPickup.Dispose();
    }

    /// <summary>Whatever happened, the phone leaves the call: BYE when answered, CANCEL while it rings.</summary>
    private static async Task EndAsync(OutgoingCall call)
    {
        try
        {
            if (call.IsAnswered)
            {
                await call.HangUpAsync(CancellationToken.None);
            }
            else if (call.Final is null)
            {
                await call.CancelAsync(CancellationToken.None);
                await call.FinalAsync(Soon);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            // The switch is gone (a restart): its end of the call went with it.
        }
    }
}
