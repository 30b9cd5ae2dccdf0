using System.Text.Json;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// What a destination's spool folder holds (README, "Spool"): events in its segments not yet acknowledged, and the
/// lines of its failed.jsonl (events given up). Both 0 is an empty spool.
/// </summary>
public sealed record SpoolState(int Segments, int Pending, int Failed)
{
    public static SpoolState Read(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return new SpoolState(0, 0, 0);
        }
        var segments = Directory.GetFiles(folder, "*.events");
        var pending = 0;
        foreach (var segment in segments)
        {
            var ackFile = Path.ChangeExtension(segment, ".acks");
            var acks = File.Exists(ackFile) ? new HashSet<string>(File.ReadAllLines(ackFile), StringComparer.Ordinal) : [];
            foreach (var line in File.ReadLines(segment).Where(l => l.Length > 0))
            {
                using var json = JsonDocument.Parse(line);
                if (!acks.Contains(json.RootElement.GetProperty("id").GetString()!))
                {
                    pending++;
                }
            }
        }
        var failed = Directory.GetFiles(folder, "failed*.jsonl").Sum(f => File.ReadLines(f).Count(l => l.Length > 0));
        return new SpoolState(segments.Length, pending, failed);
    }

    public override string ToString() => $"{Pending} event(s) not yet delivered in {Segments} segment file(s), {Failed} given up (failed.jsonl)";
}
