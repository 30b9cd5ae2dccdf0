using System.Globalization;
using System.Text;
using EslCallflow.Cluster;

namespace EslCallflow.Clustering;

/// <summary>The store's state for <c>/healthz</c> and <c>/metrics</c>.</summary>
public sealed class ClusterStatus(ClusterConnection connection, RingingPublisher publisher, ClusterStore store)
{
    /// <summary>True while Redis answers; false means this node picks up only its own calls (degraded, not down).</summary>
    public bool IsUp => connection.IsUp;

    public void WritePrometheus(StringBuilder text)
    {
        Write(text, "eslcallflow_cluster_store_up", "gauge", "1 while the cluster store (Redis) answers.", connection.IsUp ? 1 : 0);
        Write(text, "eslcallflow_cluster_store_outages_total", "counter", "Times the cluster store went away (a start without it counts).", connection.Outages);
        Write(text, "eslcallflow_cluster_store_unanswered_total", "counter", "Pickup questions the store did not answer in time; the pickup went on with this node's calls.", store.Unavailable);
        Write(text, "eslcallflow_cluster_publish_failures_total", "counter", "Batches of ringing-leg writes that failed; everything is published again once the store answers.", publisher.WriteFailures);
        Write(text, "eslcallflow_cluster_republished_total", "counter", "Times this node published all its ringing legs again (start, reconnect, keys found lost).", publisher.Republished);
        Write(text, "eslcallflow_cluster_legs_published", "gauge", "Legs this node says ring now.", publisher.Count);
    }

    private static void Write(StringBuilder text, string name, string type, string help, long value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n')
            .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
