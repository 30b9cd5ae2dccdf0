using EslCallflow.Callflows.Loading;
using EslCallflow.Clustering;

namespace EslCallflow.Tests;

/// <summary>Which group pickups the daemons publish for the proxy, and each one's scope, from the configuration.</summary>
public sealed class ClusterPickupScopesTests
{
    [Fact]
    public void The_bundled_8000_is_published_with_the_keys_of_sales_phones_and_nothing_else_is()
    {
        var config = ConfigurationLoader.LoadFolder(RunningDaemon.BundledConfig).Configuration!;

        var scopes = ClusterPickupScopes.Of(config);

        Assert.Equal(["8000"], scopes.Keys);
        Assert.Equal(
            ["id:dev1001", "id:dev1002", "id:dev1003", "id:dev1006", "sip:1001@127.0.0.1", "sip:1002@127.0.0.1", "sip:1003@127.0.0.1", "sip:1006@127.0.0.1"],
            scopes["8000"].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_callflow_reaching_group_pickup_through_callflow_modules_is_published_and_one_starting_with_anything_else_is_not()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-scopes").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "devices"));
        Directory.CreateDirectory(Path.Combine(folder, "callflows"));
        File.WriteAllText(Path.Combine(folder, "devices", "d.json"), """
            [
              { "id": "d1", "sip": { "username": "1001", "realm": "Example.COM" } },
              { "id": "d2", "sip": { "username": "1002", "realm": "example.com" } }
            ]
            """);
        File.WriteAllText(Path.Combine(folder, "callflows", "c.json"), """
            [
              { "id": "pickup", "numbers": ["8000", "8010"], "flow": { "module": "group_pickup", "data": { "device_id": "d1" } } },
              { "id": "via", "numbers": ["8001"], "flow": { "module": "callflow", "data": { "id": "pickup" } } },
              { "id": "played", "numbers": ["8002"], "flow": { "module": "play", "data": { "id": "silence_stream://500" }, "children": { "_": { "module": "group_pickup", "data": { "device_id": "d2" } } } } },
              { "id": "directed", "patterns": ["^\\*7([0-9]+)$"], "flow": { "module": "group_pickup_feature", "data": { "type": "extension" } } }
            ]
            """);
        var loaded = ConfigurationLoader.LoadFolder(folder);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));

        var scopes = ClusterPickupScopes.Of(loaded.Configuration!);

        Assert.Equal(["8000", "8001", "8010"], scopes.Keys);
        Assert.All(scopes.Values, keys => Assert.Equal(["id:d1", "sip:1001@example.com"], keys.Order(StringComparer.Ordinal)));
        Directory.Delete(folder, recursive: true);
    }
}
