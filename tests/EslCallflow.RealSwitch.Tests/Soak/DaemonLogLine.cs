using System.Globalization;
using System.Text.RegularExpressions;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// A line of the daemon's text log (<c>HH:mm:ss.fff LVL message</c>, README "Logs") with its wall time, and what the
/// soak reads from such lines: the calls the daemon started and its errors.
/// </summary>
public sealed partial record DaemonLogLine(DateTime At, string Level, string Text)
{
    [GeneratedRegex(@"^(\d\d:\d\d:\d\d\.\d\d\d) ([A-Z]{3}) ")]
    private static partial Regex Stamp();

    [GeneratedRegex(@"Call ""?([0-9a-f-]{36})""? to ""?([^"" ]+)""?: callflow")]
    private static partial Regex CallStarted();

    /// <summary>The lines written since <paramref name="lines"/> began, each dated on the day of <paramref name="day"/> (a line after midnight a day later).</summary>
    public static IReadOnlyList<DaemonLogLine> Parse(IEnumerable<string> lines, DateTime day)
    {
        var parsed = new List<DaemonLogLine>();
        var previous = day;
        foreach (var line in lines)
        {
            var m = Stamp().Match(line);
            if (!m.Success)
            {
                continue;
            }
            var at = day.Date + TimeSpan.ParseExact(m.Groups[1].Value, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
            while (at < previous - TimeSpan.FromHours(12))
            {
                at = at.AddDays(1);
            }
            previous = at;
            parsed.Add(new DaemonLogLine(at, m.Groups[2].Value, line));
        }
        return parsed;
    }

    /// <summary>The call's UUID and number when this line is the daemon taking a call ("Call X to N: callflow ..."), else null.</summary>
    public (string Uuid, string Number)? StartedCall =>
        CallStarted().Match(Text) is { Success: true } m ? (m.Groups[1].Value, m.Groups[2].Value) : null;

    public bool IsAbout(string uuid) => Text.Contains(uuid, StringComparison.Ordinal);
}
