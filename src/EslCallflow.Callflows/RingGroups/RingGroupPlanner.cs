using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>One dialplan application the daemon runs on the caller's channel, in order.</summary>
public sealed record PlannedCommand(string Application, string? Argument)
{
    public override string ToString() => Argument is null ? Application : $"{Application} {Argument}";
}

/// <summary>One ring attempt: the legs, who was left out, and the exact commands (empty when nobody can ring).</summary>
public sealed record RingGroupAttempt(IReadOnlyList<PlannedLeg> Legs, IReadOnlyList<Exclusion> Excluded, string? DialString, IReadOnlyList<PlannedCommand> Commands)
{
    public bool HasLegs => Legs.Count > 0;

    /// <summary>
    /// Why nobody rings, when nobody does: <c>USER_BUSY</c> when a member was left out for being busy (the call goes
    /// to that child, else <c>_</c>, at once), else <c>NO_USER_RESPONSE</c> (the <c>_</c> child).
    /// </summary>
    public string NobodyCause => Excluded.Any(e => e.Reason == RingGroupFacts.BusyReason) ? "USER_BUSY" : "NO_USER_RESPONSE";

    /// <summary>
    /// Devices that would have rung but for <see cref="RingGroups.DialString.MaxLegs"/> (also in <see cref="Excluded"/>);
    /// empty for any configuration that loaded, which refuses such a group.
    /// </summary>
    public IReadOnlyList<Exclusion> BeyondLegLimit { get; init; } = [];
}

/// <summary>A pure function of the documents, the caller and a random source: what one ring_group attempt sends.</summary>
public static class RingGroupPlanner
{
    /// <summary>The caller's variables a ring group's outcome depends on: go on after a failed bridge, end after a finished one.</summary>
    public const string BridgeSettings = "continue_on_fail=true hangup_after_bridge=true";

    /// <summary>Why a device past <see cref="DialString.MaxLegs"/> did not ring (the record's and the log's reason).</summary>
    public static readonly string LegLimitReason = $"beyond the {DialString.MaxLegs} legs FreeSWITCH rings from one bridge";

    public static RingGroupAttempt Plan(PbxConfiguration config, RingGroupData data, CallerContext caller, Random random, RingGroupFacts? facts = null)
    {
        facts ??= RingGroupFacts.None;
        var resolved = EndpointResolver.Resolve(config, data.Endpoints, data.Strategy, caller);
        var (present, excluded) = LeaveOutAbsent(resolved, data, facts);
        if (present.Count == 0)
        {
            return new RingGroupAttempt([], excluded, null, []);
        }

        var ordered = data.Strategy switch
        {
            RingStrategy.WeightedRandom => WeightedOrder.Draw(present, l => l.Weight, random),
            RingStrategy.RoundRobin => Rotation.After(present, resolved.Legs, facts.LastStarted),
            RingStrategy.LeastRecent => Rotation.LeastRecent(present, facts.LastAnswered),
            _ => present,
        };
        IReadOnlyList<Exclusion> beyondLimit = [];
        if (ordered.Count > DialString.MaxLegs)
        {
            // Loading refuses such a group, so this is a configuration that did not go through it: ring the first
            // MaxLegs in ring order, and name the rest (FreeSWITCH would have dropped them without a word).
            beyondLimit = [.. ordered.Skip(DialString.MaxLegs).Select(l => new Exclusion(l.Device.Id, LegLimitReason))];
            excluded = [.. excluded, .. beyondLimit];
            ordered = [.. ordered.Take(DialString.MaxLegs)];
        }
        var groupRingtone = caller.IsInternal ? data.RingtoneInternal : data.RingtoneExternal;
        var groupAlertInfo = groupRingtone is null ? null : AlertInfo.Header(groupRingtone);
        var legs = new PlannedLeg[ordered.Count];
        for (var i = 0; i < legs.Length; i++)
        {
            var leg = ordered[i];
            legs[i] = new PlannedLeg(
                leg.Device,
                leg.Delay,
                data.Strategy == RingStrategy.Simultaneous ? leg.Timeout : Math.Min(leg.Timeout, data.Timeout),
                groupAlertInfo ?? ((caller.IsInternal ? leg.Device.RingtoneInternal : leg.Device.RingtoneExternal) is { } ringtone ? AlertInfo.Header(ringtone) : null))
            {
                Confirm = leg.Confirm,
            };
        }

        var dialString = DialString.Build(data, legs, caller);
        var commands = new List<PlannedCommand>(6);
        if (data.Ringback is { } ringback)
        {
            commands.Add(new PlannedCommand("set", AppArgument.Set("ringback", ringback)));
            commands.Add(new PlannedCommand("set", AppArgument.Set("transfer_ringback", ringback)));
        }
        // One application for both constants, and none when the dialplan already set them: FreeSWITCH reads a
        // command's headers a byte at a time, yielding the CPU after each (mod_event_socket.c read_packet), which
        // costs about 6 µs a byte when idle and far more when its cores are busy, and it sends the call's socket
        // the application's CHANNEL_EXECUTE_COMPLETE (BENCHMARKS.md, issues 17 and 20). multiset splits on spaces
        // (mod_dptools.c multiset_function), and neither value has one.
        if (!caller.BridgeSettingsSet)
        {
            commands.Add(new PlannedCommand("multiset", BridgeSettings));
        }
        if (data.Strategy == RingStrategy.Simultaneous)
        {
            commands.Add(new PlannedCommand("ring_ready", null));
        }
        commands.Add(new PlannedCommand("bridge", dialString));
        return new RingGroupAttempt(legs, excluded, dialString, commands) { BeyondLegLimit = beyondLimit };
    }

    /// <summary>Members logged out of the group, then (<c>skip_busy</c>) devices on an answered call, are left out.</summary>
    private static (IReadOnlyList<ResolvedLeg> Present, IReadOnlyList<Exclusion> Excluded) LeaveOutAbsent(ResolvedMembers resolved, RingGroupData data, RingGroupFacts facts)
    {
        if (facts.LoggedOut.Count == 0 && (!data.SkipBusy || facts.BusyDeviceKeys.Count == 0))
        {
            return (resolved.Legs, resolved.Excluded);
        }
        var present = new List<ResolvedLeg>(resolved.Legs.Count);
        var excluded = new List<Exclusion>(resolved.Excluded);
        foreach (var leg in resolved.Legs)
        {
            if (facts.IsLoggedOut(leg.Device))
            {
                excluded.Add(new Exclusion(leg.Device.Id, RingGroupFacts.LoggedOutReason));
            }
            else if (data.SkipBusy && facts.IsBusy(leg.Device))
            {
                excluded.Add(new Exclusion(leg.Device.Id, RingGroupFacts.BusyReason));
            }
            else
            {
                present.Add(leg);
            }
        }
        return (present, excluded);
    }
}
