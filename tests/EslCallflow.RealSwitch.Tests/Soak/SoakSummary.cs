using System.Globalization;
using System.Text;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// What the soak measured, as a text to paste into BENCHMARKS.md, and the checks issue 32 asks for: every call
/// answered that should have been (calls that lived through a fault counted apart, with what they got), no channel
/// left, memory flat after warm-up, every call's call.ended received and the spool empty, no unexplained error.
/// </summary>
public sealed partial class SoakSummary(
    SoakSettings settings,
    IReadOnlyList<SoakCall> calls,
    IReadOnlyList<Fault> faults,
    IReadOnlyList<MemorySample> memory,
    IReadOnlyList<DaemonLogLine> lines,
    DaemonCalls daemonCalls,
    IReadOnlyList<ReceivedEvent> events,
    int badSignatures,
    SpoolState spool,
    double queued,
    int channels,
    double activeCalls,
    string loadBefore,
    string loadAfter,
    TimeSpan start)
{
    /// <summary>Memory after warm-up may move this much, either way, from the first sample.</summary>
    public const double Flat = 0.10;

    /// <summary>An error the daemon logs this long after a fault was over is still the fault's (a reconnect's last retries).</summary>
    private static readonly TimeSpan ErrorsAfterFault = TimeSpan.FromSeconds(30);

    [System.Text.RegularExpressions.GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial System.Text.RegularExpressions.Regex Uuid();

    /// <summary>A warning's message with its UUIDs blanked and cut to 100 characters: warnings of one kind count together.</summary>
    private static string Shape(DaemonLogLine line)
    {
        var message = Uuid().Replace(line.Text[Math.Min(line.Text.Length, 17)..], "<uuid>");
        return message[..Math.Min(100, message.Length)];
    }

    private IReadOnlyList<SoakCall> Clean => [.. calls.Where(c => c.Fault is null)];

    private IReadOnlyList<SoakCall> Failures => [.. Clean.Where(c => !c.AsExpected)];

    private HashSet<string> Ended => events.Where(e => e.Type == "call.ended").Select(e => e.CallUuid).ToHashSet(StringComparer.Ordinal);

    private IReadOnlyList<DaemonCall> Missing => [.. daemonCalls.Expected.Where(c => !Ended.Contains(c.Uuid))];

    private IReadOnlyList<DaemonLogLine> Errors => [.. lines.Where(l => l.Level is "ERR" or "FTL")];

    private Fault? ExplainedBy(DaemonLogLine line) =>
        faults.FirstOrDefault(f => line.At >= f.StartWall - TimeSpan.FromSeconds(1) && line.At <= f.EndWall + ErrorsAfterFault);

    private double Growth(Func<MemorySample, double> read, MemorySample sample) => read(sample) / read(memory[0]) - 1;

    public string Text()
    {
        var text = new StringBuilder();
        var placedIn = settings.Length.TotalMinutes.ToString("F1", CultureInfo.InvariantCulture);
        text.AppendLine(CultureInfo.InvariantCulture, $"=== soak: {calls.Count} calls in {placedIn} min at {settings.CallsPerSecond:F1} calls/s; /proc/loadavg before: {loadBefore}; after: {loadAfter}");
        text.AppendLine("calls by kind (a call that lived through a fault is counted apart):");
        text.AppendLine("  kind              placed  clean  as expected  expected     at a fault");
        foreach (var kind in Enum.GetValues<SoakKind>())
        {
            var ofKind = calls.Where(c => c.Kind == kind).ToList();
            var cleanOfKind = ofKind.Where(c => c.Fault is null).ToList();
            text.AppendLine(CultureInfo.InvariantCulture, $"  {kind,-16}  {ofKind.Count,6}  {cleanOfKind.Count,5}  {cleanOfKind.Count(c => c.AsExpected),11}  {kind.Expected(),-11}  {ofKind.Count - cleanOfKind.Count,10}");
        }
        var clean = Clean;
        text.AppendLine(CultureInfo.InvariantCulture, $"  all               {calls.Count,6}  {clean.Count,5}  {clean.Count(c => c.AsExpected),11}");
        var pickups = calls.Where(c => c.Kind is SoakKind.GroupPickup or SoakKind.DirectedPickup).ToList();
        if (pickups.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  pickups wait for the one before them (one at a time per kind): longest wait {pickups.Max(c => c.QueuedFor).TotalSeconds:F1} s");
        }
        foreach (var failure in Failures)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  NOT AS EXPECTED: {Relative(failure)}");
        }

        text.AppendLine("faults, and the calls that lived through each (what they got):");
        foreach (var fault in faults)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {fault.Name}: at {(fault.Start - start).TotalSeconds:F1} s, whole again {(fault.End - fault.Start).TotalSeconds:F1} s later");
            foreach (var group in calls.Where(c => c.Fault == fault).GroupBy(c => (c.Kind, c.Outcome)).OrderBy(g => g.Key.Kind))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    {group.Count(),4} x {group.Key.Kind}: {group.Key.Outcome}");
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"daemon memory (samples at {string.Join(", ", settings.MemorySamplesAt.Select(a => a.TotalMinutes.ToString("F1", CultureInfo.InvariantCulture)))} min; flat means within {Flat:P0} of the first):");
        foreach (var sample in memory)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {sample}; RSS {Growth(m => m.RssBytes, sample):+0.0%;-0.0%}, heap {Growth(m => m.HeapBytes, sample):+0.0%;-0.0%}, kept objects {Growth(m => m.PromotedBytes, sample):+0.0%;-0.0%} from the first");
        }

        var ended = events.Where(e => e.Type == "call.ended").ToList();
        text.AppendLine(CultureInfo.InvariantCulture, $"webhook: {events.Count} events received ({string.Join(", ", events.GroupBy(e => e.Type).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}), {badSignatures} with a bad signature");
        text.AppendLine(CultureInfo.InvariantCulture, $"  the daemon took {daemonCalls.All.Count} calls; call.ended received for {daemonCalls.All.Count(c => Ended.Contains(c.Uuid))} ({ended.Count - ended.Select(e => e.RecordId).Distinct(StringComparer.Ordinal).Count()} duplicates); missing {Missing.Count} of the {daemonCalls.Expected.Count} that must have one");
        text.AppendLine(CultureInfo.InvariantCulture, $"  in the killed daemon's hands when it died (begun < {SoakRun.LongestCall.TotalSeconds:F0} s before): {daemonCalls.InFlightAtKill.Count}, of which {daemonCalls.InFlightAtKill.Count(c => Ended.Contains(c.Uuid))} have a call.ended anyway; the others' records died with the process:");
        foreach (var call in daemonCalls.InFlightAtKill.Where(c => !Ended.Contains(c.Uuid)))
        {
            var last = lines.LastOrDefault(l => l.IsAbout(call.Uuid) && l.At <= faults[0].StartWall);
            text.AppendLine(CultureInfo.InvariantCulture, $"    {call.Uuid} to {call.Number}, last line before the kill: {last?.Text ?? "(none)"}");
        }
        foreach (var call in Missing)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  MISSING call.ended: {call.Uuid} to {call.Number} at {call.At:HH:mm:ss.fff}");
        }
        text.AppendLine("  call.ended by number and outcome: " + string.Join(", ", ended.DistinctBy(e => e.RecordId).GroupBy(e => $"{e.Number} {e.Outcome}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
        text.AppendLine(CultureInfo.InvariantCulture, $"  spool at the end: {spool}; eslcallflow_call_events_queued {queued}");
        text.AppendLine(CultureInfo.InvariantCulture, $"FreeSWITCH channels at the end (show channels count, no hupall): {channels}; daemon active calls: {activeCalls}");
        text.AppendLine(CultureInfo.InvariantCulture, $"daemon ERR lines: {Errors.Count} ({Errors.Count(e => ExplainedBy(e) is not null)} during or just after a fault); WRN lines: {lines.Count(l => l.Level == "WRN")}");
        foreach (var warning in lines.Where(l => l.Level == "WRN").GroupBy(Shape).OrderByDescending(g => g.Count()).Take(6))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  WRN {warning.Count(),5} x {warning.Key}");
        }
        foreach (var error in Errors)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {(ExplainedBy(error) is { } fault ? $"[{fault.Name}]" : "[UNEXPLAINED]")} {error.Text}");
        }
        return text.ToString();
    }

    /// <summary>Every check at once, so one failing run names all that went wrong.</summary>
    public void Check()
    {
        var problems = new List<string>();
        if (Failures.Count > 0)
        {
            problems.Add($"{Failures.Count} call(s) away from any fault did not get what they should: {string.Join("; ", Failures.Take(10).Select(Relative))}");
        }
        if (channels != 0 || activeCalls != 0)
        {
            problems.Add($"{channels} FreeSWITCH channel(s) and {activeCalls} daemon call(s) left at the end");
        }
        foreach (var sample in memory.Skip(1))
        {
            if (Math.Abs(Growth(m => m.RssBytes, sample)) > Flat || Math.Abs(Growth(m => m.HeapBytes, sample)) > Flat)
            {
                problems.Add($"memory not flat: {memory[0]} then {sample}");
            }
        }
        if (Missing.Count > 0 || badSignatures > 0)
        {
            problems.Add($"{Missing.Count} call(s) without a call.ended at the receiver; {badSignatures} event(s) with a bad signature");
        }
        if (spool.Pending > 0 || spool.Failed > 0 || queued > 0)
        {
            problems.Add($"spool not empty at the end: {spool}; queued {queued}");
        }
        var unexplained = Errors.Where(e => ExplainedBy(e) is null).ToList();
        if (unexplained.Count > 0)
        {
            problems.Add($"{unexplained.Count} ERR line(s) no fault explains: {string.Join(" | ", unexplained.Take(5).Select(e => e.Text))}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private string Relative(SoakCall call) =>
        $"#{call.Index} {call.Kind} at {(call.StartedAt - start).TotalSeconds:F1}-{(call.EndedAt - start).TotalSeconds:F1} s: {call.Outcome}";
}
