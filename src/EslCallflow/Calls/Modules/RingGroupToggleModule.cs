using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.GroupState;
using EslCallflow.Metrics;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Calls.Modules;

/// <summary>
/// ring_group_toggle (KAZOO cf_ring_group_toggle, plus <c>toggle</c>): logs the caller's member into or out of the
/// ring group of the named callflow, tells the caller with a tone, lights or darkens the BLF key on the number dialled,
/// and goes on to <c>_</c> (else hangs up).
/// </summary>
public sealed partial class RingGroupToggleModule(IRingGroupState state, MemberPresence presence, DaemonMetrics metrics, ILogger<RingGroupToggleModule> logger)
    : CallflowModule<RingGroupToggleData>
{
    protected override async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, RingGroupToggleData data, CancellationToken stopping)
    {
        if (!call.Session.IsAnswered)
        {
            await SessionActions.AnswerAsync(call.Session, stopping).ConfigureAwait(false);
        }
        var device = call.Caller.Device;
        if (device is null || !call.Config.Callflows.TryGetValue(data.CallflowId, out var callflow) || !RingGroupToggleData.IsMember(call.Config, callflow, device))
        {
            LogNotMember(logger, call.Uuid, device?.Id ?? "external", data.CallflowId);
            call.Decide(metrics, node.Module, "not_a_member");
            await SessionActions.PlaybackAsync(call.Session, data.RefusedMedia, stopping).ConfigureAwait(false);
            return await NextAsync(call, node, stopping).ConfigureAwait(false);
        }

        var member = RingGroupFacts.MemberKey(device);
        var now = await state.ReadAsync(null, data.CallflowId, stopping).ConfigureAwait(false);
        var logsOut = data.LogsOut(now.LoggedOut.Contains(member));
        var changed = await state.SetLoggedOutAsync(data.CallflowId, member, logsOut, stopping).ConfigureAwait(false);
        LogToggled(logger, call.Uuid, member, logsOut ? "logged out of" : "logged into", data.CallflowId, device.Id, changed ? "" : " (already so)");
        call.Decide(metrics, node.Module, logsOut ? "logged_out" : "logged_in");
        if (!await presence.SendAsync(call.Number, device.SipRealm, loggedIn: !logsOut, stopping).ConfigureAwait(false))
        {
            LogPresenceNotSent(logger, call.Uuid, call.Number);
        }
        await SessionActions.PlaybackAsync(call.Session, logsOut ? data.LoggedOutMedia : data.LoggedInMedia, stopping).ConfigureAwait(false);
        return await NextAsync(call, node, stopping).ConfigureAwait(false);
    }

    private static async Task<FlowNode?> NextAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        if (node.Child(FlowNode.DefaultChild) is { } next)
        {
            return next;
        }
        await SessionActions.TryHangupAsync(call.Session, "NORMAL_CLEARING", stopping).ConfigureAwait(false);
        return null;
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Call {CallUuid}: member {Member} {Change} the ring group of callflow {CallflowId} (from device {DeviceId}){Unchanged}")]
    private static partial void LogToggled(ILogger logger, string callUuid, string member, string change, string callflowId, string deviceId, string unchanged);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Call {CallUuid}: device {DeviceId} is not a member of the ring group of callflow {CallflowId}; nothing changed")]
    private static partial void LogNotMember(ILogger logger, string callUuid, string deviceId, string callflowId);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Call {CallUuid}: presence of {Number} not sent (event socket down); its BLF key shows the change at the next toggle")]
    private static partial void LogPresenceNotSent(ILogger logger, string callUuid, string number);
}
