namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>One call of the soak as its phones saw it: what it was, when it lived, what it got.</summary>
public sealed class SoakCall(int index, SoakKind kind, TimeSpan startedAt)
{
    public int Index { get; } = index;
    public SoakKind Kind { get; } = kind;
    public TimeSpan StartedAt { get; } = startedAt;
    public TimeSpan EndedAt { get; set; }

    /// <summary>"answered", "picked up", a final response code, or what went wrong ("no answer within 10 s", "picker got 480").</summary>
    public string Outcome { get; set; } = "not placed";

    /// <summary>How long a pickup waited for the one before it (pickups of a kind go one at a time).</summary>
    public TimeSpan QueuedFor { get; set; }

    public bool AsExpected => Outcome == Kind.Expected();

    /// <summary>The fault the call lived through, if any: its outcome is then counted apart.</summary>
    public Fault? Fault { get; set; }

    public override string ToString() => $"#{Index} {Kind} {StartedAt.TotalSeconds:F1}-{EndedAt.TotalSeconds:F1} s: {Outcome}";
}

/// <summary>An injected fault: from the moment it was injected to the moment the system was whole again.</summary>
public sealed class Fault(string name, TimeSpan start, DateTime startWall)
{
    public string Name { get; } = name;
    public TimeSpan Start { get; } = start;
    public DateTime StartWall { get; } = startWall;
    public TimeSpan End { get; set; }
    public DateTime EndWall { get; set; }

    /// <summary>After the system is whole again, calls already under way may still end oddly for this long (BYEs and CANCELs in flight).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public bool Overlaps(SoakCall call) => call.StartedAt <= End + Settle && call.EndedAt >= Start;

    public override string ToString() => $"{Name} at {Start.TotalSeconds:F1} s, whole again {(End - Start).TotalSeconds:F1} s later";
}
