using System.Collections.Concurrent;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// What FreeSWITCH's ringing and intercept do for calls that run the daemon's dialplan (<see cref="FakeDialplanCall"/>;
/// a bridge answered or failed is <see cref="DialplanBridges"/>), as the real switch showed it. An intercept honours its two guards
/// (switch_ivr_intercept_session) and, when it takes the call, answers the picker and the caller, ends the ringing
/// legs with PICKED_OFF, joins them with uuid_bridge (CHANNEL_BRIDGE for the picker only, naming the caller), which
/// takes both channels out of their dialplans.
/// </summary>
internal sealed class DialplanSwitch(FakeFreeSwitch freeSwitch)
{
    private readonly SimulatedSwitch _legs = new(freeSwitch);
    private readonly ConcurrentDictionary<string, Ringing> _ringing = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, FakeDialplanCall> _stranded = new(StringComparer.Ordinal);

    /// <summary>
    /// The picker hangs up as soon as intercept has answered both, before uuid_bridge joined them: the caller is left
    /// answered in CS_RESET with no event about it (events-stranded-pickup-group-json.txt), the picker's hangup naming
    /// the caller as its other leg.
    /// </summary>
    public bool PickerHangsUpAtOnce { get; init; }

    /// <summary>The <c>uuid_kill</c> commands the daemon sent.</summary>
    public ConcurrentQueue<string> Kills { get; } = new();

    /// <summary>Answers <c>uuid_dump</c>, <c>uuid_exists</c> and <c>uuid_kill</c> for a stranded caller, as mod_commands does.</summary>
    public string Api(string command) => command.Split(' ') switch
    {
        ["uuid_dump", var uuid, "json"] when _stranded.ContainsKey(uuid) =>
            $$"""{"Unique-ID":"{{uuid}}","Channel-State":"CS_RESET","Answer-State":"answered","Channel-Call-State":"ACTIVE"}""",
        ["uuid_exists", var uuid] => _stranded.ContainsKey(uuid) ? "true" : "false",
        ["uuid_kill", var uuid, var cause] when _stranded.TryRemove(uuid, out var caller) => Kill(command, caller, cause),
        _ => FakeFreeSwitch.DefaultApi(command),
    };

    private string Kill(string command, FakeDialplanCall caller, string cause)
    {
        Kills.Enqueue(command);
        _ = caller.HangUpAsync(cause, "send_bye");
        return "+OK\n";
    }

    /// <summary>Intercepts the switch's guard turned away, by target caller.</summary>
    public ConcurrentDictionary<string, string> Refused { get; } = new(StringComparer.Ordinal);

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
        call.Caller.OtherLeg = picker.Uuid;
        picker.OtherLeg = target;
        picker.SetVariable("bridge_uuid", target);
        call.Taken.TrySetResult();
        if (PickerHangsUpAtOnce)
        {
            _stranded[target] = call.Caller;
            await picker.HangUpAsync("NORMAL_CLEARING", "recv_bye");
            return;
        }
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
