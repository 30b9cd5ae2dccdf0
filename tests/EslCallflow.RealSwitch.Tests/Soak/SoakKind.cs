namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>The kinds of call the soak mixes, each on phones of its own (see <see cref="SoakTraffic"/>).</summary>
public enum SoakKind
{
    /// <summary>7401 rings 2001 (answers after 1 s) and 2002 (rings); answered, held, the caller hangs up.</summary>
    Answered,

    /// <summary>7402 rings 2002 for 2 s, missed; its <c>_</c> child rings 2003, which answers.</summary>
    MissedToChild,

    /// <summary>7403 rings 2004 (486 Busy Here) and 2005 (answers after 1.5 s): answered despite the busy member.</summary>
    BusyMember,

    /// <summary>7404 rings 2006 and 2007; the caller hangs up while they ring: 487, a missed call.</summary>
    CallerHangsUp,

    /// <summary>7201 rings 1001 and 1002 (sales); 1006 dials 8000 and takes it.</summary>
    GroupPickup,

    /// <summary>7405 rings 2008; 2009 dials *72008 and takes it.</summary>
    DirectedPickup,

    /// <summary>1004 (carol, not in sales) dials 8000: 403 before any answer.</summary>
    RefusedPickup,
}

public static class SoakKinds
{
    /// <summary>
    /// One round of the mix, 20 calls: mostly ring groups that are answered, then callers who give up, misses that
    /// go on to a child, busy members, refused pickups, and one pickup of each kind. Pickups are one at a time
    /// each (a pickup takes the call ringing longest), so a round at 5 calls/s leaves each 4 s.
    /// </summary>
    public static readonly SoakKind[] Round =
    [
        SoakKind.Answered, SoakKind.MissedToChild, SoakKind.CallerHangsUp, SoakKind.BusyMember, SoakKind.Answered,
        SoakKind.RefusedPickup, SoakKind.Answered, SoakKind.GroupPickup, SoakKind.CallerHangsUp, SoakKind.MissedToChild,
        SoakKind.Answered, SoakKind.BusyMember, SoakKind.CallerHangsUp, SoakKind.DirectedPickup, SoakKind.Answered,
        SoakKind.MissedToChild, SoakKind.CallerHangsUp, SoakKind.BusyMember, SoakKind.Answered, SoakKind.RefusedPickup,
    ];

    /// <summary>What the caller (and the picker) should get when no fault is near.</summary>
    public static string Expected(this SoakKind kind) => kind switch
    {
        SoakKind.CallerHangsUp => "487",
        SoakKind.RefusedPickup => "403",
        SoakKind.GroupPickup or SoakKind.DirectedPickup => "picked up",
        _ => "answered",
    };

    /// <summary>The number the kind's caller dials (the callflow the daemon runs for it).</summary>
    public static string Number(this SoakKind kind) => kind switch
    {
        SoakKind.Answered => "7401",
        SoakKind.MissedToChild => "7402",
        SoakKind.BusyMember => "7403",
        SoakKind.CallerHangsUp => "7404",
        SoakKind.GroupPickup => "7201",
        SoakKind.DirectedPickup => "7405",
        _ => "8000",
    };
}
