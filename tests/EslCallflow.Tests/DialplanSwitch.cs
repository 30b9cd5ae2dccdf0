using System.Collections.Concurrent;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// What FreeSWITCH's bridge and intercept do for calls that run the daemon's dialplan (<see cref="FakeDialplanCall"/>),
/// as the real switch showed it: an answered bridge fires the caller's CHANNEL_ANSWER and CHANNEL_BRIDGE (the caller
/// as leg A) and, once over, hangup_after_bridge ends the caller (CHANNEL_UNBRIDGE first); a caller hanging up mid-
/// conversation fires its CHANNEL_HANGUP before the CHANNEL_UNBRIDGE; a failed bridge leaves
/// <c>originate_disposition</c> and the cause on the caller and returns. An intercept honours its two guards
/// (switch_ivr_intercept_session) and, when it takes the call, answers the picker and the caller, ends the ringing
/// legs with PICKED_OFF, joins them with uuid_bridge (CHANNEL_BRIDGE for the picker only, naming the caller), which
/// takes both channels out of their dialplans.
/// </summary>
internal sealed class DialplanSwitch(FakeFreeSwitch freeSwitch)
{
    private readonly SimulatedSwitch _legs = new(freeSwitch);
    private readonly ConcurrentDictionary<string, Ringing> _ringing = new(StringComparer.Ordinal);

    /// <summary>Intercepts the switch's guard turned away, by target caller.</summary>
    public ConcurrentDictionary<string, string> Refused { get; } = new(StringComparer.Ordinal);

    /// <summary>A phone answers at once on leg <paramref name="bLeg"/>; the conversation lasts until <paramref name="conversation"/>.</summary>
    public static Func<FakeDialplanCall, FakeExecution, Task> Answered(string bLeg = "b-leg-uuid", Task? conversation = null, bool callerHangsUp = false) => async (call, execution) =>
    {
        if (execution.Application != "bridge")
        {
            return;
        }
        await call.AnswerAsync();
        call.SetVariable("bridge_uuid", bLeg);
        var bridge = call.Event("CHANNEL_BRIDGE", new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Other-Leg-Unique-ID"] = bLeg,
            ["Bridge-A-Unique-ID"] = call.Uuid,
            ["Bridge-B-Unique-ID"] = bLeg,
        });
        await call.PublishAsync(bridge);
        await (conversation ?? Task.CompletedTask);
        var unbridge = new Dictionary<string, string>(bridge) { ["Event-Name"] = "CHANNEL_UNBRIDGE" };
        call.SetVariable("originate_disposition", "SUCCESS");
        call.SetVariable("last_bridge_hangup_cause", "NORMAL_CLEARING");
        if (callerHangsUp)
        {
            await call.CallerHangsUpAsync(() => call.PublishAsync(unbridge));
            return;
        }
        await call.PublishAsync(unbridge);
    };

    /// <summary>Nobody answers: the bridge returns with <paramref name="cause"/>.</summary>
    public static Func<FakeDialplanCall, FakeExecution, Task> Fails(string cause) => (call, execution) =>
    {
        if (execution.Application == "bridge")
        {
            call.SetVariable("originate_disposition", cause);
            call.SetVariable("originate_failed_cause", cause);
            call.SetVariable("DIALSTATUS", cause);
        }
        return Task.CompletedTask;
    };

    /// <summary>The bridge rings until the caller hangs up.</summary>
    public static Func<FakeDialplanCall, FakeExecution, Task> RingsForever => async (call, execution) =>
    {
        if (execution.Application == "bridge")
        {
            await Task.Delay(Timeout.Infinite, call.HungUp).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    };

    /// <summary>A ring group caller: its bridge rings every leg of the dial string until an intercept takes it (or the caller goes).</summary>
    public Func<FakeDialplanCall, FakeExecution, Task> RingsUntilPickedUp => async (call, execution) =>
    {
        if (execution.Application != "bridge")
        {
            return;
        }
        var legs = FreeSwitchDialString.Parse(execution.Argument!, call.Variables).Legs.Select((leg, i) =>
        {
            var address = leg.Endpoint["user/".Length..].Split('@');
            return (Uuid: $"{call.Uuid[..8]}-leg-{i}", User: address[0], Domain: address[1], Device: leg.Variables.GetValueOrDefault(DialString.DeviceVariable));
        }).ToList();
        var ringing = new Ringing(call, [.. legs.Select(l => l.Uuid)], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _ringing[call.Uuid] = ringing;
        foreach (var leg in legs)
        {
            await _legs.RingLegAsync(leg.Uuid, call.Uuid, leg.User, leg.Domain, leg.Device);
        }
        await Task.WhenAny(ringing.Taken.Task, Task.Delay(Timeout.Infinite, call.HungUp).ContinueWith(_ => { }, TaskScheduler.Default));
    };

    /// <summary>A picker: intercept as on the real switch.</summary>
    public Func<FakeDialplanCall, FakeExecution, Task> Intercepts => async (picker, execution) =>
    {
        if (execution.Application != "intercept")
        {
            return;
        }
        var target = execution.Argument!;
        if (!_ringing.TryGetValue(target, out var call))
        {
            return;
        }
        if (picker.Variables.GetValueOrDefault("intercept_unanswered_only") == "true" && (call.Caller.IsAnswered || call.AnsweredUnseen))
        {
            Refused[target] = "intercept_unanswered_only";
            return;
        }
        if (!_ringing.TryRemove(target, out _))
        {
            return;
        }
        await picker.AnswerAsync();
        picker.LeaveDialplan();
        foreach (var leg in call.Legs)
        {
            var fields = new Dictionary<string, string> { ["Hangup-Cause"] = "PICKED_OFF", ["Answer-State"] = "hangup", ["Channel-Call-State"] = "HANGUP" };
            await freeSwitch.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_HANGUP", leg, fields));
            await freeSwitch.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_DESTROY", leg, fields));
        }
        await call.Caller.AnswerAsync();
        call.Caller.LeaveDialplan();
        call.Caller.SetVariable("originate_disposition", "ORIGINATOR_CANCEL");
        call.Caller.SetVariable("bridge_uuid", picker.Uuid);
        call.Taken.TrySetResult();
        await picker.PublishAsync(picker.Event("CHANNEL_BRIDGE", new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Other-Leg-Unique-ID"] = target,
            ["Bridge-A-Unique-ID"] = picker.Uuid,
            ["Bridge-B-Unique-ID"] = target,
        }));
    };

    /// <summary>The ring group's caller was answered on the switch, and the feed has not said so yet: intercept's guard applies.</summary>
    public void AnsweredUnseen(string callerUuid) => _ringing[callerUuid].AnsweredUnseen = true;

    private sealed record Ringing(FakeDialplanCall Caller, IReadOnlyList<string> Legs, TaskCompletionSource Taken)
    {
        public bool AnsweredUnseen { get; set; }
    }
}
