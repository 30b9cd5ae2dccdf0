using EslCallflow.Callflows.RingGroups;
using EslCallflow.Cluster;
using EslCallflow.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EslCallflow.Clustering;

/// <summary>
/// Several switches (README, "Running several switches"): with a <c>Cluster</c> section the daemon shares what rings
/// on its node through Redis. Without one nothing here is registered: no Redis client, no observer on the tracker.
/// </summary>
public static class ClusterSetup
{
    public static void Add(HostApplicationBuilder builder)
    {
        // A section with settings, not a bare value: an environment variable such as ESLCALLFLOW_CLUSTER=1 is the key
        // "Cluster" with a value, and must not turn a single switch into a node of a cluster.
        if (!builder.Configuration.GetSection(ClusterOptions.Section).GetChildren().Any())
        {
            return;
        }
        builder.Services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ClusterConnection>();
        builder.Services.AddSingleton<RingingPublisher>();
        builder.Services.AddSingleton<ClusterStore>();
        builder.Services.AddSingleton<FeatureState>();
        builder.Services.AddSingleton<ClusterStatus>();
        builder.Services.AddSingleton<IRingingLegObserver, ClusterRingingObserver>();
        builder.Services.AddSingleton<Calls.Pickup.IPickupCluster, ClusterPickup>();
        // Ring groups remember in the store, not in this node's file: every node reads the same rotation and log-ins.
        builder.Services.AddSingleton<GroupState.IRingGroupState, ClusterRingGroupState>();
        builder.Services.AddSingleton(sp => ClusterPhoneRoute(sp.GetRequiredService<IOptions<ClusterOptions>>().Value));
        builder.Services.AddHostedService<ClusterService>();
    }

    /// <summary>Legs to phones go through the proxy, where the phones registered.</summary>
    public static PhoneRoute ClusterPhoneRoute(ClusterOptions options) => new(options.SipProfile, options.ProxyUri);
}
