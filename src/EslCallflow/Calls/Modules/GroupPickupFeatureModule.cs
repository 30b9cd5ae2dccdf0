using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Operations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// group_pickup_feature (KAZOO cf_group_pickup_feature): directed pickup. The digits the callflow's pattern
/// captured (<c>*7</c> + <c>1001</c>) name the target: an extension (the devices its callflow rings first), a
/// device by SIP username, that device's user, or its groups. Then everything as group_pickup: approval,
/// oldest call first, the claim, the responses. Terminal.
/// </summary>
public sealed partial class GroupPickupFeatureModule(GroupPickupRunner pickup, DaemonMetrics metrics, IOptions<PickupOptions> options, ILogger<GroupPickupFeatureModule> logger) : ICallflowModule
{
    public string Name => GroupPickupFeatureData.Module;

    public async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        var data = (GroupPickupFeatureData)node.Parsed!;
        // Without a capture the pattern names no target; a number with no capture dials the feature code alone.
        var digits = call.Captures.Count > 0 ? call.Captures[0] : string.Empty;
        PickupRequest request;
        if (!PickupPlanner.Authorize(call.Config, data.Approved, call.Caller.Device).Approved)
        {
            // Refused before anything is looked up, as for group_pickup: the runner answers with the refusal.
            request = new PickupRequest(data.Approved, [], $"{data.Type.ToString().ToLowerInvariant()} {digits}");
        }
        else if (digits.Length > 0 && DirectedPickup.Resolve(call.Config, data.Type, digits) is { } target)
        {
            request = new PickupRequest(data.Approved, target.Devices, target.Description);
        }
        else
        {
            LogUnknownTarget(logger, call.Uuid, call.Number, digits, data.Type.ToString().ToLowerInvariant(), options.Value.UnknownTargetCode);
            await SessionActions.RespondAsync(call.Session, options.Value.UnknownTargetCode, options.Value.UnknownTargetReason, null, stopping).ConfigureAwait(false);
            GroupPickupModule.Count(metrics, call, node.Module, new PickupResult(PickupOutcome.UnknownTarget, SipCode: options.Value.UnknownTargetCode));
            return null;
        }
        var picked = await pickup.RunAsync(call.Session, call.Config, request, call.Caller.Device, stopping).ConfigureAwait(false);
        GroupPickupModule.Count(metrics, call, node.Module, picked);
        await pickup.FollowAsync(call, picked, stopping).ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Call {CallUuid}: directed pickup {Number}: no {TargetType} known as {Dialled}; responding {SipCode}")]
    private static partial void LogUnknownTarget(ILogger logger, string callUuid, string number, string dialled, string targetType, int sipCode);
}
