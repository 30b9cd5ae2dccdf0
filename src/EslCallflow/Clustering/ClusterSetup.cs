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
        if (!builder.Configuration.GetSection(ClusterOptions.Section).Exists())
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
        builder.Services.AddSingleton(sp => ClusterPhoneRoute(sp.GetRequiredService<IOptions<ClusterOptions>>().Value));
        builder.Services.AddHostedService<ClusterService>();
    }

    /// <summary>Legs to phones go through the proxy, where the phones registered.</summary>
    public static PhoneRoute ClusterPhoneRoute(ClusterOptions options) => new(options.SipProfile, options.ProxyUri);
}
