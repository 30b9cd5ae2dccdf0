using System.Globalization;
using System.Text.Json;
using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Cli;

/// <summary>
/// <c>plan</c> for the pickup modules: who may pick up, which devices are in scope, and, given the running
/// daemon's <c>/channels</c>, the call that would be picked up now (oldest first) or why none would.
/// </summary>
internal static class PickupPlanPrinter
{
    public static void Print(PbxConfiguration config, CallflowMatch match, Device? picker, string? channelsJson, string? channelsSource, TextWriter output)
    {
        if (match.Callflow.Flow.Parsed is not IPickupData pickup)
        {
            return;
        }
        var authorization = PickupPlanner.Authorize(config, pickup.Approved, picker);
        output.WriteLine($"  approval: {(authorization.Approved ? "allowed" : "refused")} ({authorization.Reason})");
        if (!authorization.Approved)
        {
            return;
        }
        if (pickup.Target(config, match.Captures) is not { } target)
        {
            output.WriteLine($"  target: nothing known as '{pickup.Asked(match.Captures).Name}': the caller gets the unknown-target response");
            return;
        }
        output.WriteLine($"  scope: {target.Description}: {string.Join(", ", target.Devices.Select(d => $"{d.Id} ({d.SipUsername}@{d.SipRealm})"))}");
        if (channelsJson is null)
        {
            output.WriteLine($"  live: no running daemon answered at {channelsSource}; the call picked up would be the one ringing longest on these devices");
            return;
        }
        var candidates = PickupPlanner.Candidates(config, target.Devices, picker, pickerUuid: string.Empty, RingingLegs(channelsJson));
        if (candidates.Count == 0)
        {
            output.WriteLine($"  live ({channelsSource}): nothing ringing in scope: the caller gets the nothing-to-pick-up response");
            return;
        }
        var first = candidates[0];
        output.WriteLine($"  live ({channelsSource}): would pick up caller {first.CallerUuid ?? "unknown"} ringing on {first.DeviceId} (leg {first.LegUuid}); execute intercept {first.InterceptArgument}");
        foreach (var next in candidates.Skip(1))
        {
            output.WriteLine($"    then: caller {next.CallerUuid ?? "unknown"} ringing on {next.DeviceId}");
        }
    }

    /// <summary>The ringing legs of a <c>/channels</c> answer (devices keyed by device id or SIP identity).</summary>
    internal static IReadOnlyList<RingingLeg> RingingLegs(string channelsJson)
    {
        using var document = JsonDocument.Parse(channelsJson);
        var legs = new List<RingingLeg>();
        if (!document.RootElement.TryGetProperty("devices", out var devices) || devices.ValueKind != JsonValueKind.Object)
        {
            return legs;
        }
        foreach (var device in devices.EnumerateObject())
        {
            foreach (var leg in device.Value.EnumerateArray())
            {
                var since = leg.TryGetProperty("ringingSince", out var at) && at.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var when)
                    ? when.ToUnixTimeMilliseconds() * 1000 : 0;
                legs.Add(new RingingLeg(
                    leg.GetProperty("leg").GetString() ?? string.Empty,
                    leg.TryGetProperty("caller", out var caller) ? caller.GetString() : null,
                    device.Name,
                    leg.TryGetProperty("sipIdentity", out var sip) ? sip.GetString() : null,
                    since));
            }
        }
        return legs;
    }
}
