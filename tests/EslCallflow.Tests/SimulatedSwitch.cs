using System.Collections.Concurrent;
using System.Globalization;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// What FreeSWITCH does around a pickup, as events-pickup-json.txt shows it: bridges ring legs (CHANNEL_CREATE
/// with the caller as other leg, then CHANNEL_CALLSTATE RINGING on the inbound feed); <c>intercept</c> answers
/// the picker, ends every ringing leg with PICKED_OFF, completes the caller's bridge with PICKED_OFF while the
/// caller is answered, and bridges caller and picker (CHANNEL_BRIDGE on the picker).
/// </summary>
internal sealed class SimulatedSwitch(FakeFreeSwitch freeSwitch)
{
    private readonly ConcurrentDictionary<string, RingingCall> _ringing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _intercepts = new(StringComparer.Ordinal);

    /// <summary>How long intercept takes between answering the picker and ending the ringing legs.</summary>
    public TimeSpan InterceptDelay { get; set; }

    /// <summary>Intercepts run so far, by target caller leg.</summary>
    public IReadOnlyDictionary<string, int> InterceptsByCaller => _intercepts;

    /// <summary>Script for a ring-group caller: its bridge rings every leg of the dial string and waits.</summary>
    public Func<FakeCall, FakeExecution, Task> RingsUntilPickedUp => async (call, execution) =>
    {
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
        _ringing[call.Uuid] = new RingingCall(call, execution, [.. legs.Select(l => l.Uuid)]);
        foreach (var leg in legs)
        {
            await RingLegAsync(leg.Uuid, call.Uuid, leg.User, leg.Domain, leg.Device);
        }
    };

    /// <summary>Script for pickers: intercept behaves as in the capture.</summary>
    public Func<FakeCall, FakeExecution, Task> Intercepts => async (picker, execution) =>
    {
        if (execution.Application != "intercept")
        {
            await picker.CompleteAsync(execution);
            return;
        }
        var target = execution.Argument!.StartsWith("-bleg ", StringComparison.Ordinal) ? CallerOfLeg(execution.Argument[6..]) : execution.Argument;
        _intercepts.AddOrUpdate(target, 1, (_, n) => n + 1);
        if (!_ringing.TryRemove(target, out var call))
        {
            // Nothing left to intercept (answered elsewhere, gone, already picked): intercept just returns.
            await picker.CompleteAsync(execution);
            return;
        }
        await picker.SendEventAsync(picker.Event("CHANNEL_ANSWER", new Dictionary<string, string> { ["Answer-State"] = "answered" }));
        await picker.CompleteAsync(execution, new Dictionary<string, string> { ["Answer-State"] = "answered" });
        await Task.Delay(InterceptDelay);
        foreach (var leg in call.Legs)
        {
            await EndLegAsync(leg, "PICKED_OFF");
        }
        if (call.Caller is { } caller)
        {
            await caller.CompleteAsync(call.Bridge!, new Dictionary<string, string>
            {
                ["Answer-State"] = "answered",
                ["Other-Leg-Unique-ID"] = picker.Uuid,
                ["variable_originate_disposition"] = "PICKED_OFF",
                ["variable_originate_failed_cause"] = "PICKED_OFF",
                ["variable_last_bridge_hangup_cause"] = "PICKED_OFF",
                ["variable_bridge_uuid"] = picker.Uuid,
            });
        }
        await picker.SendEventAsync(picker.Event("CHANNEL_BRIDGE", new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Other-Leg-Unique-ID"] = target,
            ["Bridge-A-Unique-ID"] = picker.Uuid,
            ["Bridge-B-Unique-ID"] = target,
        }));
    };

    /// <summary>A call rung by a plain FreeSWITCH bridge (no socket, none of our variables) to <paramref name="user"/>.</summary>
    public async Task<string> RingPlainAsync(string callerUuid, string user, long? ringingSinceMicros = null)
    {
        var leg = $"{callerUuid}-plain-leg";
        _ringing[callerUuid] = new RingingCall(null, null, [leg]);
        await RingLegAsync(leg, callerUuid, user, "127.0.0.1", null, ringingSinceMicros);
        return leg;
    }

    public void ForgetRinging(string callerUuid, string leg) => _ringing[callerUuid] = new RingingCall(null, null, [leg]);

    public async Task RingLegAsync(string leg, string callerUuid, string user, string domain, string? deviceId, long? ringingSinceMicros = null)
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
        fields["Channel-Call-State"] = "RINGING";
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

    private sealed record RingingCall(FakeCall? Caller, FakeExecution? Bridge, IReadOnlyList<string> Legs);
}
