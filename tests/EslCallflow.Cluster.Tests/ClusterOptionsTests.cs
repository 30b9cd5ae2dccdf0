using System.ComponentModel.DataAnnotations;

namespace EslCallflow.Cluster.Tests;

/// <summary>The Cluster section is checked at start: a daemon with a bad one does not start.</summary>
public sealed class ClusterOptionsTests
{
    private static ClusterOptions Valid() => new()
    {
        NodeId = "fs-a",
        NodeSipUri = "sip:10.0.0.11:5080",
        ProxyUri = "sip:10.0.0.10:5060",
        Redis = "10.0.0.20:6379,password=secret",
    };

    private static List<string> Problems(ClusterOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage ?? string.Empty)];
    }

    [Fact]
    public void A_complete_section_is_accepted_and_Sentinel_is_a_configuration_string_too()
    {
        Assert.Empty(Problems(Valid()));
        var sentinel = Valid();
        sentinel.Redis = "10.0.0.21:26379,10.0.0.22:26379,10.0.0.23:26379,serviceName=eslcallflow";
        Assert.Empty(Problems(sentinel));
        Assert.Equal("eslcallflow", sentinel.RedisConfiguration().ServiceName);
    }

    [Fact]
    public void The_Redis_connection_never_waits_for_a_reconnect_and_starts_without_the_store()
    {
        var configuration = Valid().RedisConfiguration();
        Assert.False(configuration.AbortOnConnectFail);
        Assert.Same(StackExchange.Redis.BacklogPolicy.FailFast, configuration.BacklogPolicy);
        Assert.Equal("eslcallflow-fs-a", configuration.ClientName);
    }

    [Theory]
    [InlineData("NodeId", "", "NodeId")]
    [InlineData("NodeId", "a b", "NodeId")]
    [InlineData("NodeSipUri", "10.0.0.11:5080", "must start with sip:")]
    [InlineData("NodeSipUri", "sip:1001@10.0.0.11", "not a user")]
    [InlineData("NodeSipUri", "sip:10.0.0.11;lr", "may carry only ;transport=")]
    [InlineData("NodeSipUri", "sip:10.0.0.11>\r\nX-Evil: 1", "not allowed")]
    [InlineData("ProxyUri", "sip:proxy,other", "not allowed")]
    [InlineData("Redis", "", "Redis")]
    [InlineData("Redis", "serviceName=only", "names no server")]
    [InlineData("Redis", "127.0.0.1:6379,connectTimeout=soon", "not a Redis configuration string")]
    [InlineData("KeyPrefix", "a prefix", "KeyPrefix")]
    public void A_bad_value_is_refused_naming_the_setting(string setting, string value, string expected)
    {
        var options = Valid();
        typeof(ClusterOptions).GetProperty(setting)!.SetValue(options, value);
        Assert.Contains(Problems(options), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_heartbeat_must_fit_twice_in_the_lifetimes_it_renews()
    {
        var options = Valid();
        options.HeartbeatInterval = TimeSpan.FromSeconds(8);
        Assert.Contains(Problems(options), p => p.Contains("HeartbeatInterval", StringComparison.Ordinal));
        options.HeartbeatInterval = TimeSpan.FromSeconds(5);
        options.LegTtl = TimeSpan.FromSeconds(9);
        Assert.Contains(Problems(options), p => p.Contains("HeartbeatInterval", StringComparison.Ordinal));
    }

    [Fact]
    public void A_refusal_never_shows_the_Redis_password()
    {
        var options = Valid();
        options.Redis = "127.0.0.1:6379,password=hunter2,connectTimeout=soon";
        Assert.All(Problems(options), p => Assert.DoesNotContain("hunter2", p, StringComparison.Ordinal));
    }
}
