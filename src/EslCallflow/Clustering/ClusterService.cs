using EslCallflow.Callflows;
using EslCallflow.Cluster;
using EslCallflow.Configuration;
using Microsoft.Extensions.Hosting;

namespace EslCallflow.Clustering;

/// <summary>
/// Starts the store's connection and the publisher with the daemon, without waiting for Redis (a node runs its own
/// calls without it), and stops them after the calls have drained. What was published stays in the store until it
/// expires: a restarted daemon publishes what rings then and deletes the rest. The group pickups' scopes
/// (<see cref="ClusterPickupScopes"/>) are published from the configuration, and again after each reload.
/// </summary>
public sealed class ClusterService(ClusterConnection connection, RingingPublisher publisher, CallflowConfigurationStore configuration) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        configuration.Applied += PublishScopes;
        PublishScopes(configuration.Current);
        connection.Start();
        publisher.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        configuration.Applied -= PublishScopes;
        await publisher.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private void PublishScopes(PbxConfiguration config) => publisher.PickupScopes(ClusterPickupScopes.Of(config));
}
