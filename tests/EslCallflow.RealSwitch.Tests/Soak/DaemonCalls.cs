namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>A call the daemon took, from its log: which process took it (the one killed, or a later one) and when.</summary>
public sealed record DaemonCall(string Uuid, string Number, DateTime At, bool BeforeKill);

/// <summary>
/// The calls the daemon took during the soak, and which of them must have a call.ended: all of them but those the
/// killed process still had in hand (begun less than <see cref="SoakRun.LongestCall"/> before the kill): their
/// records lived in its memory and died with it.
/// </summary>
public sealed class DaemonCalls
{
    private DaemonCalls(IReadOnlyList<DaemonCall> all, DateTime killedAt)
    {
        All = all;
        InFlightAtKill = [.. all.Where(c => c.BeforeKill && killedAt - c.At < SoakRun.LongestCall)];
        Expected = [.. all.Except(InFlightAtKill)];
    }

    public IReadOnlyList<DaemonCall> All { get; }
    public IReadOnlyList<DaemonCall> InFlightAtKill { get; }
    public IReadOnlyList<DaemonCall> Expected { get; }

    public static DaemonCalls Read(IReadOnlyList<DaemonLogLine> lines, int beforeKill, DateTime killedAt) =>
        new([.. lines.Select((l, i) => (Line: l, Index: i))
            .Where(x => x.Line.StartedCall is not null)
            .Select(x => new DaemonCall(x.Line.StartedCall!.Value.Uuid, x.Line.StartedCall!.Value.Number, x.Line.At, x.Index < beforeKill))], killedAt);
}
