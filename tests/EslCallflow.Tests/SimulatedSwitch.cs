using System.Collections.Concurrent;
using System.Globalization;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// What FreeSWITCH 1.10.12 does around a pickup, as events-pickup-json.txt, outbound-picker-json.txt and
/// outbound-ringgroup-pickedup-json.txt show it: bridges ring legs (CHANNEL_CREATE with the caller as other leg,
/// then CHANNEL_CALLSTATE RINGING or EARLY on the inbound feed); <c>intercept</c> honours its two guards
/// (switch_ivr_intercept_session: silent return), answers the picker, bridges it to the caller (bridge_uuid set
/// before intercept completes), ends every ringing leg with PICKED_OFF, answers the caller and completes the
/// caller's bridge with ORIGINATOR_CANCEL; the picker leaves the socket application, and its disconnect notice
/// may come before or after its CHANNEL_BRIDGE.
/// </summary>
internal sealed class SimulatedSwitch(FakeFreeSwitch freeSwitch)
{
    private readonly ConcurrentDictionary<string, RingingCall> _ringing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _intercepts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _talking = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _stranded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _live = new(StringComparer.Ordinal);

    /// <summary>How long intercept takes between answering the picker and ending the ringing legs.</summary>
    public TimeSpan InterceptDelay { get; set; }

    /// <summary>The picker's disconnect notice comes before its CHANNEL_BRIDGE (seen on the real switch).</summary>
    public bool PickerNoticeBeforeBridge { get; set; }

    /// <summary>The picker hangs up the moment intercept answers it, before uuid_bridge joined it to the caller.</summary>
    public bool PickerHangsUpAtOnce { get; set; }

    /// <summary>The rung phones answer the INVITE with 183 + SDP: legs are EARLY and the caller is flagged bridged.</summary>
    public bool PhonesSendEarlyMedia { get; set; }

    /// <summary>Intercepts run so far, by target caller leg.</summary>
    public IReadOnlyDictionary<string, int> InterceptsByCaller => _intercepts;

    /// <summary>Intercepts that FreeSWITCH's guard turned away, by target caller leg.</summary>
    public ConcurrentDictionary<string, string> Refused { get; } = new(StringComparer.Ordinal);

    /// <summary>Script for a ring-group caller: its bridge rings every leg of the dial string and waits.</summary>
    public Func<FakeCall, FakeExecution, Task> RingsUntilPickedUp => async (call, execution) =>
    {
        if (execution.Application == "answer")
        {
            await freeSwitch.PublishAsync(EventTemplates.CallerEvent("CHANNEL_ANSWER", call.Uuid, new Dictionary<string, string> { ["Answer-State"] = "answered" }));
        }
        if (execution.Application != "bridge")
        {
            await call.CompleteAsync(execution);
            return;
        }
        var legs = FreeSwitchDialString.Parse(execution.Argument!).Legs.Select((leg, i) =>
        {
            var (user, domain) = UserAndDomain(leg.Endpoint);
            return (Uuid: $"{call.Uuid[..8]}-leg-{i}", User: user, Domain: domain, Device: leg.Variables.GetValueOrDefault(DialString.DeviceVariable));
        }).ToList();
        _ringing[call.Uuid] = new RingingCall(call, execution, [.. legs.Select(l => l.Uuid)], CallerAnswered: call.IsAnswered, CallerBridged: PhonesSendEarlyMedia);
        foreach (var leg in legs)
        {
            await RingLegAsync(leg.Uuid, call.Uuid, leg.User, leg.Domain, leg.Device, callState: PhonesSendEarlyMedia ? "EARLY" : "RINGING");
        }
    };

    /// <summary>Script for pickers: intercept behaves as on the real switch.</summary>
    public Func<FakeCall, FakeExecution, Task> Intercepts => async (picker, execution) =>
    {
        if (execution.Application != "intercept")
        {
            await picker.CompleteAsync(execution);
            return;
        }
        var target = execution.Argument!.StartsWith("-bleg ", StringComparison.Ordinal) ? CallerOfLeg(execution.Argument[6..]) : execution.Argument;
        _intercepts.AddOrUpdate(target, 1, (_, n) => n + 1);
        if (!_ringing.TryGetValue(target, out var call))
        {
            // Nothing left to intercept (answered elsewhere, gone, already picked): intercept just returns.
            await picker.CompleteAsync(execution);
            return;
        }
        if (GuardRefuses(picker, call) is { } guard)
        {
            Refused[target] = guard;
            await picker.CompleteAsync(execution);
            return;
        }
        if (!_ringing.TryRemove(target, out _))
        {
            await picker.CompleteAsync(execution);
            return;
        }
        var bridged = new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Channel-Call-State"] = "ACTIVE",
            ["Other-Leg-Unique-ID"] = target,
            ["variable_bridge_uuid"] = target,
            ["variable_signal_bond"] = target,
        };
        _live[target] = _live[picker.Uuid] = true;
        await picker.SendChannelEventAsync("CHANNEL_ANSWER", new Dictionary<string, string> { ["Answer-State"] = "answered", ["Channel-Call-State"] = "EARLY" });
        await freeSwitch.PublishAsync(picker.Event("CHANNEL_ANSWER", new Dictionary<string, string> { ["Answer-State"] = "answered" }));
        await picker.CompleteAsync(execution, bridged);
        await Task.Delay(InterceptDelay);
        foreach (var leg in call.Legs)
        {
            await EndLegAsync(leg, "PICKED_OFF");
        }
        if (call.Caller is { } caller)
        {
            if (!call.CallerAnswered)
            {
                await caller.SendChannelEventAsync("CHANNEL_ANSWER", new Dictionary<string, string> { ["Answer-State"] = "answered", ["Channel-Call-State"] = "EARLY" });
            }
            await caller.CompleteAsync(call.Bridge!, new Dictionary<string, string>
            {
                ["Answer-State"] = "answered",
                ["Channel-Call-State"] = "ACTIVE",
                ["Other-Leg-Unique-ID"] = picker.Uuid,
                ["variable_originate_disposition"] = "ORIGINATOR_CANCEL",
                ["variable_originate_failed_cause"] = "ORIGINATOR_CANCEL",
                ["variable_bridge_uuid"] = picker.Uuid,
                ["variable_signal_bond"] = picker.Uuid,
                ["variable_transfer_history"] = $"1796158861:{Guid.NewGuid()}:uuid_br:{picker.Uuid}",
            });
        }
        var bridgeEvent = picker.Event("CHANNEL_BRIDGE", new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Other-Leg-Unique-ID"] = target,
            ["Bridge-A-Unique-ID"] = picker.Uuid,
            ["Bridge-B-Unique-ID"] = target,
        });
        if (PickerHangsUpAtOnce)
        {
            // events-stranded-pickup-group-json.txt: the picker's BYE beat the join; once the daemon lets go of the
            // caller's socket, uuid_bridge's state handlers leave it answered in CS_RESET, and nothing more happens.
            await picker.LeaveSocketAsync();
            _stranded[target] = "CS_RESET";
            await HangUpAsync(picker.Uuid, "NORMAL_CLEARING");
            _talking[target] = picker.Uuid;
            return;
        }
        if (PickerNoticeBeforeBridge)
        {
            await picker.LeaveSocketAsync();
            await freeSwitch.PublishAsync(bridgeEvent);
        }
        else
        {
            await picker.SendEventAsync(bridgeEvent);
            await freeSwitch.PublishAsync(bridgeEvent);
            await picker.LeaveSocketAsync();
        }
        // The caller left its socket application too: uuid_bridge moved it (outbound-ringgroup-pickedup-json.txt).
        if (call.Caller is { } intercepted)
        {
            await intercepted.LeaveSocketAsync();
        }
        _talking[target] = picker.Uuid;
    };

    /// <summary>Conversations joined by a pickup, by caller leg: the picker's call.</summary>
    public IReadOnlyDictionary<string, string> Talking => _talking;

    /// <summary>
    /// One side of a picked-up conversation hangs up. With <paramref name="partnerFollows"/> the other is ended by the
    /// bridge as usual; without, it is left answered with nobody, as FreeSWITCH leaves a caller whose picker hung up
    /// before its thread joined them (switch_ivr_bridge.c uuid_bridge_on_soft_execute), until <c>uuid_kill</c> ends it.
    /// </summary>
    public async Task HangUpAsync(string uuid, string cause, string? partner = null)
    {
        _live.TryRemove(uuid, out _);
        var fields = new Dictionary<string, string> { ["Hangup-Cause"] = cause, ["Answer-State"] = "hangup", ["Channel-Call-State"] = "HANGUP" };
        await freeSwitch.PublishAsync(EventTemplates.CallerEvent("CHANNEL_HANGUP", uuid, fields));
        await freeSwitch.PublishAsync(EventTemplates.CallerEvent("CHANNEL_DESTROY", uuid, fields));
        if (partner is not null)
        {
            await HangUpAsync(partner, cause);
        }
    }

    /// <summary>
    /// Answers <c>uuid_dump</c>, <c>uuid_exists</c> and <c>uuid_kill</c> for channels left by <see cref="StrandAsync"/>,
    /// as mod_commands does; everything else as the fake's default.
    /// </summary>
    public string Api(string command)
    {
        var words = command.Split(' ');
        switch (words)
        {
            case ["uuid_dump", var uuid, "json"]:
                return _stranded.TryGetValue(uuid, out var state)
                    ? $$"""{"Unique-ID":"{{uuid}}","Channel-State":"{{state}}","Answer-State":"answered","Channel-Call-State":"ACTIVE"}"""
                    : "-ERR No such channel!\n";
            case ["uuid_exists", var uuid]:
                return _stranded.ContainsKey(uuid) || _live.ContainsKey(uuid) ? "true" : "false";
            case ["uuid_kill", var uuid, var cause]:
                Kills.Enqueue(command);
                if (_stranded.TryRemove(uuid, out _))
                {
                    _ = HangUpAsync(uuid, cause);
                    return "+OK\n";
                }
                return "-ERR No such channel!\n";
            default:
                return FakeFreeSwitch.DefaultApi(command);
        }
    }

    /// <summary>The <c>uuid_kill</c> commands the daemon sent.</summary>
    public ConcurrentQueue<string> Kills { get; } = new();

    /// <summary>
    /// The picker of <paramref name="callerUuid"/> hangs up before FreeSWITCH joined the two: the caller stays
    /// answered in <paramref name="state"/> with no event about it (the real switch sends none).
    /// </summary>
    public async Task StrandAsync(string callerUuid, string state = "CS_RESET")
    {
        _stranded[callerUuid] = state;
        _live.TryRemove(callerUuid, out _);
        await HangUpAsync(_talking[callerUuid], "NORMAL_CLEARING");
    }

    /// <summary>switch_ivr_intercept_session's guards, read from the picker's channel variables.</summary>
    private static string? GuardRefuses(FakeCall picker, RingingCall call)
    {
        if (picker.Variables.GetValueOrDefault("intercept_unbridged_only") == "true" && call.CallerBridged)
        {
            return "intercept_unbridged_only";
        }
        if (picker.Variables.GetValueOrDefault("intercept_unanswered_only") == "true" && call.CallerAnswered)
        {
            return "intercept_unanswered_only";
        }
        return null;
    }

    /// <summary>A call rung by a plain FreeSWITCH bridge (no socket, none of our variables) to <paramref name="user"/>.</summary>
    public async Task<string> RingPlainAsync(string callerUuid, string user, long? ringingSinceMicros = null, bool callerAnswered = false)
    {
        var leg = $"{callerUuid}-plain-leg";
        _ringing[callerUuid] = new RingingCall(null, null, [leg], callerAnswered, CallerBridged: PhonesSendEarlyMedia);
        if (callerAnswered)
        {
            await freeSwitch.PublishAsync(EventTemplates.CallerEvent("CHANNEL_ANSWER", callerUuid, new Dictionary<string, string> { ["Answer-State"] = "answered" }));
        }
        await RingLegAsync(leg, callerUuid, user, "127.0.0.1", null, ringingSinceMicros, PhonesSendEarlyMedia ? "EARLY" : "RINGING");
        return leg;
    }

    /// <summary>The switch answered the caller (the feed has not said so): intercept's answer guard now applies.</summary>
    public void MarkAnswered(string callerUuid)
    {
        if (_ringing.TryGetValue(callerUuid, out var call))
        {
            _ringing[callerUuid] = call with { CallerAnswered = true };
        }
    }

    public void ForgetRinging(string callerUuid, string leg) => _ringing[callerUuid] = new RingingCall(null, null, [leg], false, false);

    public async Task RingLegAsync(string leg, string callerUuid, string user, string domain, string? deviceId, long? ringingSinceMicros = null, string callState = "RINGING")
    {
        var fields = new Dictionary<string, string>
        {
            ["Other-Leg-Unique-ID"] = callerUuid,
            ["Channel-Presence-ID"] = $"{user}@{domain}",
            ["variable_presence_id"] = $"{user}@{domain}",
            ["variable_dialed_user"] = user,
            ["variable_dialed_domain"] = domain,
            ["Channel-Call-State"] = "DOWN",
            ["Answer-State"] = "ringing",
        };
        if (deviceId is not null)
        {
            fields["variable_" + DialString.DeviceVariable] = deviceId;
        }
        if (ringingSinceMicros is { } since)
        {
            fields["Event-Date-Timestamp"] = since.ToString(CultureInfo.InvariantCulture);
        }
        await freeSwitch.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", leg, fields));
        fields["Channel-Call-State"] = callState;
        fields["Original-Channel-Call-State"] = "DOWN";
        await freeSwitch.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CALLSTATE", leg, fields));
    }

    private async Task EndLegAsync(string leg, string cause)
    {
        var fields = new Dictionary<string, string> { ["Hangup-Cause"] = cause, ["Answer-State"] = "hangup", ["Channel-Call-State"] = "HANGUP" };
        await freeSwitch.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_HANGUP", leg, fields));
        await freeSwitch.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_DESTROY", leg, fields));
    }

    private string CallerOfLeg(string leg) => _ringing.FirstOrDefault(r => r.Value.Legs.Contains(leg)).Key ?? leg;

    private static (string User, string Domain) UserAndDomain(string endpoint)
    {
        var address = endpoint["user/".Length..].Split('@');
        return (address[0], address[1]);
    }

    private sealed record RingingCall(FakeCall? Caller, FakeExecution? Bridge, IReadOnlyList<string> Legs, bool CallerAnswered, bool CallerBridged);
}
