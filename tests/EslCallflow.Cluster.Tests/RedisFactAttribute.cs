using EslCallflow.Testing;

namespace EslCallflow.Cluster.Tests;

/// <summary>
/// A test that needs redis-server. Where it is not installed the test says so and skips, except on CI
/// (<c>CI=true</c>), where .ci/run installs it and its absence must fail the run.
/// </summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.Find() is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "redis-server is not installed here (apt-get install redis-server; .ci/run installs it), nor named by ESLCALLFLOW_REDIS_SERVER";
        }
    }
}
