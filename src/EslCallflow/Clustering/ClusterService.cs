using EslCallflow.Cluster;
using Microsoft.Extensions.Hosting;

namespace EslCallflow.Clustering;

/// <summary>
/// Starts the store's connection and the publisher with the daemon, without waiting for Redis (a node runs its own
/// calls without it), and stops them after the calls have drained. What was published stays in the store until it
/// expires: a restarted daemon publishes what rings then and deletes the rest.
/// </summary>
public sealed class ClusterService(ClusterConnection connection, RingingPublisher publisher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        connection.Start();
        publisher.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await publisher.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
