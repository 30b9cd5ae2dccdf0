using EslCallflow.Hosting;

namespace EslCallflow.Tests.Architecture;

/// <summary>
/// The daemon's folders depend one way: <c>Hosting</c> composes everything and nothing uses it; delivery knows
/// nothing of calls or records; no namespace reaches, however indirectly, back to itself.
/// </summary>
public class NamespaceCycleTests
{
    private static readonly NamespaceGraph Daemon = NamespaceGraph.Of(typeof(DaemonHost).Assembly.Location, "EslCallflow");

    [Fact]
    public void The_daemon_s_namespaces_have_no_cycle()
    {
        var cycles = NamespaceGraph.Cycles(Daemon.Targets());

        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n", cycles.Select(Describe)));
    }

    [Fact]
    public void Hosting_only_composes_nothing_uses_it()
    {
        var users = Daemon.Edges.Where(e => e.Value.ContainsKey("EslCallflow.Hosting")).Select(e => e.Value["EslCallflow.Hosting"]);

        Assert.Empty(users);
    }

    [Fact]
    public void Delivery_uses_only_the_daemon_s_options_and_metrics_text()
    {
        var used = Daemon.Edges.GetValueOrDefault("EslCallflow.Delivery") ?? [];

        Assert.Equal(["EslCallflow", "EslCallflow.Metrics"], used.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_graph_is_read_from_signatures_and_il()
    {
        // A constructor parameter (signature), a field (signature), a call in a method body (IL only).
        Assert.Contains("EslCallflow.Calls.Pickup", Daemon.Edges["EslCallflow.Calls.Modules"].Keys);
        Assert.Contains("EslCallflow.Tracking", Daemon.Edges["EslCallflow.Calls.Ringing"].Keys);
        Assert.Contains("EslCallflow.Delivery", Daemon.Edges["EslCallflow.Records"].Keys);
        Assert.Contains("EslCallflow.Calls", Daemon.Edges["EslCallflow.Hosting"].Keys);
    }

    [Fact]
    public void A_cycle_is_found_however_long_and_only_a_cycle()
    {
        var edges = new Dictionary<string, IReadOnlyCollection<string>>
        {
            ["Hosting"] = ["Calls", "Records"],
            ["Calls"] = ["Records", "Tracking"],
            ["Records"] = ["Delivery"],
            ["Delivery"] = ["Tracking"],
            ["Tracking"] = ["Calls"],
            ["Metrics"] = [],
        };

        var cycles = NamespaceGraph.Cycles(edges);

        Assert.Equal(["Calls", "Delivery", "Records", "Tracking"], Assert.Single(cycles));
        edges["Tracking"] = [];
        Assert.Empty(NamespaceGraph.Cycles(edges));
        edges["Metrics"] = ["Hosting"];
        edges["Records"] = ["Delivery", "Hosting"];
        Assert.Equal(["Calls", "Hosting", "Records"], Assert.Single(NamespaceGraph.Cycles(edges)));
    }

    private static string Describe(IReadOnlyList<string> cycle) =>
        string.Join(", ", cycle) + ": " + string.Join("; ", cycle.SelectMany(from =>
            (Daemon.Edges.GetValueOrDefault(from) ?? []).Where(e => cycle.Contains(e.Key)).Select(e => e.Value)));
}
