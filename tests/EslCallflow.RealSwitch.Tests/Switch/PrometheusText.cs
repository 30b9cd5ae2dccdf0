using System.Globalization;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>A /metrics scrape (Prometheus text format): sample values by name and labels.</summary>
public sealed class PrometheusText(string text)
{
    public string Text { get; } = text;

    /// <summary>The value of <paramref name="name"/> with exactly these labels (in any order); 0 when absent, as a counter not yet touched.</summary>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        var wanted = labels.Select(l => $"{l.Name}=\"{l.Value}\"").OrderBy(l => l, StringComparer.Ordinal).ToList();
        foreach (var line in Text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }
            var rest = line[name.Length..];
            List<string> present = [];
            if (rest.StartsWith('{'))
            {
                var close = rest.IndexOf('}', StringComparison.Ordinal);
                present = rest[1..close].Split(',', StringSplitOptions.RemoveEmptyEntries).OrderBy(l => l, StringComparer.Ordinal).ToList();
                rest = rest[(close + 1)..];
            }
            else if (!rest.StartsWith(' '))
            {
                continue;
            }
            if (present.SequenceEqual(wanted))
            {
                return double.Parse(rest.Trim(), CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>What a module decided (ring_group answered, group_pickup picked_up, ...).</summary>
    public double Calls(string module, string outcome) => Value("eslcallflow_module_outcomes_total", ("module", module), ("outcome", outcome));

    /// <summary>Calls by their one outcome, counted once each when the flow is over.</summary>
    public double CallOutcomes(string outcome) => Value("eslcallflow_calls_total", ("outcome", outcome));

    /// <summary>Every sample of <paramref name="name"/> added up, whatever its labels.</summary>
    public double Total(string name) => Text.Split('\n')
        .Where(l => !l.StartsWith('#') && l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is '{' or ' ')
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    public double Pickups(string outcome) => Value("eslcallflow_pickups_total", ("outcome", outcome));
}
