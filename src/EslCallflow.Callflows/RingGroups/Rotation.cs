namespace EslCallflow.Callflows.RingGroups;

/// <summary>The orders of the strategies that remember: round_robin and least_recent.</summary>
public static class Rotation
{
    /// <summary>
    /// The <paramref name="present"/> legs in the order of <paramref name="all"/> (every device of the group, those
    /// left out for being busy or logged out too), starting after <paramref name="lastStarted"/> and wrapping round:
    /// a busy device keeps its place in the rotation. In document order when that device is no longer in the group
    /// (a reload removed it) or nothing started yet.
    /// </summary>
    public static IReadOnlyList<ResolvedLeg> After(IReadOnlyList<ResolvedLeg> present, IReadOnlyList<ResolvedLeg> all, string? lastStarted)
    {
        var last = -1;
        for (var i = 0; lastStarted is not null && i < all.Count; i++)
        {
            if (all[i].Device.Id == lastStarted)
            {
                last = i;
                break;
            }
        }
        var start = (last + 1) % all.Count;
        if (start == 0 && present.Count == all.Count)
        {
            return present;
        }
        var kept = present.ToHashSet();
        return [.. all.Skip(start).Concat(all.Take(start)).Where(kept.Contains)];
    }

    /// <summary>The legs by when their device last answered a call of the group, never-answered first, ties in document order.</summary>
    public static IReadOnlyList<ResolvedLeg> LeastRecent(IReadOnlyList<ResolvedLeg> legs, IReadOnlyDictionary<string, long> lastAnswered) =>
        lastAnswered.Count == 0
            ? legs
            : [.. legs.OrderBy(l => lastAnswered.TryGetValue(l.Device.Id, out var at) ? at : long.MinValue)];
}
