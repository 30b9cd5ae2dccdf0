using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.GroupState;
using EslCallflow.Tracking;

namespace EslCallflow.Calls.Ringing;

/// <summary>
/// What a ring group's call reads and writes beyond its documents, the same on both ways in (the socket's
/// <see cref="Ringer"/> and the dialplan fast path): the group's memory (members logged out, where round_robin
/// starts, when each device last answered), read once per call; the devices on an answered call now (skip_busy), read
/// per attempt; the plan of an attempt from them; and what the group remembers of the call.
/// </summary>
public sealed class RingMemory(ChannelTracker channels, IRingGroupState state, TimeProvider time)
{
    /// <summary>Whether the group has anything to remember (a state key or a callflow members log in and out of).</summary>
    public static bool Remembers(RingGroupData data) => data.StateKey is not null || data.CallflowId is not null;

    /// <summary>Read once per call: every attempt of a round_robin call starts where the call started.</summary>
    public Task<GroupMemory> ReadAsync(RingGroupData data, CancellationToken cancellationToken) =>
        Remembers(data) ? state.ReadAsync(data.StateKey, data.CallflowId, cancellationToken) : Task.FromResult(GroupMemory.Empty);

    /// <summary>One attempt's plan: the planner's, over what is known now.</summary>
    public RingGroupAttempt Plan(ICall call, RingGroupData data, GroupMemory memory, Random random)
    {
        var facts = new RingGroupFacts(
            data.SkipBusy ? channels.AnsweredDeviceKeys() : RingGroupFacts.None.BusyDeviceKeys,
            memory.LoggedOut,
            memory.LastStarted,
            memory.LastAnswered);
        return RingGroupPlanner.Plan(call.Config, data, call.Caller, random, facts);
    }

    /// <summary>
    /// Nobody to ring: the child the flow goes on with (<c>USER_BUSY</c> when every device left out was busy, else
    /// <c>_</c>), or null, and then the call ends with <paramref name="cause"/>.
    /// </summary>
    public static string? NobodyChild(FlowNode node, RingGroupAttempt plan, out string cause)
    {
        cause = plan.NobodyCause;
        return cause == "USER_BUSY" && node.Child(cause) is not null ? cause
            : node.Child(FlowNode.DefaultChild) is not null ? FlowNode.DefaultChild
            : null;
    }

    /// <summary>An attempt's bridge is on its way: round_robin's next call starts after the device this one started with.</summary>
    public Task RungAsync(RingGroupData data, int attempt, RingGroupAttempt plan, CancellationToken cancellationToken) =>
        attempt == 1 && data is { Strategy: RingStrategy.RoundRobin, StateKey: { } key } && plan.HasLegs
            ? state.StartedAsync(key, plan.Legs[0].Device.Id, cancellationToken)
            : Task.CompletedTask;

    /// <summary>A device answered: least_recent rings it last next time.</summary>
    public Task AnsweredAsync(RingGroupData data, string answered, RingGroupAttempt plan, CancellationToken cancellationToken) =>
        data is { Strategy: RingStrategy.LeastRecent, StateKey: { } key }
            ? state.AnsweredAsync(key, DeviceIdOf(answered, plan), time.GetUtcNow(), cancellationToken)
            : Task.CompletedTask;

    /// <summary>The device id of the leg that answered (the feed may name it by its SIP identity).</summary>
    private static string DeviceIdOf(string answered, RingGroupAttempt plan) =>
        plan.Legs.FirstOrDefault(l => l.Device.Id == answered || string.Equals($"{l.Device.SipUsername}@{l.Device.SipRealm}", answered, StringComparison.OrdinalIgnoreCase))?.Device.Id
        ?? answered;
}
