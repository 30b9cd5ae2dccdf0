using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Tests;

/// <summary>A small office: users alice (1001, 1002), bob (1003), carol (1004); 1005 and 1006 unowned; group sales.</summary>
internal static class Fixtures
{
    public const string Devices = """
    [
      { "id": "d1001", "name": "Alice desk", "owner_id": "alice", "sip": { "username": "1001", "realm": "pbx.example.com" },
        "caller_id": { "internal": { "name": "Alice Smith", "number": "1001" } } },
      { "id": "d1002", "name": "Alice mobile", "owner_id": "alice", "sip": { "username": "1002", "realm": "pbx.example.com" } },
      { "id": "d1003", "owner_id": "bob", "sip": { "username": "1003", "realm": "pbx.example.com" }, "ringtones": { "internal": "bob-internal", "external": "bob-external" } },
      { "id": "d1004", "owner_id": "carol", "sip": { "username": "1004", "realm": "pbx.example.com" } },
      { "id": "d1005", "sip": { "username": "1005", "realm": "pbx.example.com" } },
      { "id": "d1006", "sip": { "username": "1006", "realm": "pbx.example.com" }, "custom_field": { "kept": true } }
    ]
    """;

    public const string Users = """
    [
      { "id": "alice", "first_name": "Alice" },
      { "id": "bob", "first_name": "Bob" },
      { "id": "carol", "first_name": "Carol" }
    ]
    """;

    public const string Groups = """
    { "id": "sales", "name": "Sales", "endpoints": { "d1003": { "type": "device" }, "carol": { "type": "user", "delay": 5, "timeout": 15 } } }
    """;

    public static LoadResult Load(string callflows, string? devices = null, string? users = null, string? groups = null) =>
        ConfigurationLoader.Load([
            ("devices", "devices/office.json", devices ?? Devices),
            ("users", "users/office.json", users ?? Users),
            ("groups", "groups/sales.json", groups ?? Groups),
            ("callflows", "callflows/main.json", callflows),
        ]);

    public static PbxConfiguration Config(string callflows, string? devices = null, string? users = null, string? groups = null)
    {
        var result = Load(callflows, devices, users, groups);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Configuration!;
    }

    public static string RingGroup(string data, string number = "7000") =>
        $$"""{ "id": "rg", "numbers": ["{{number}}"], "flow": { "module": "ring_group", "data": {{data}} } }""";
}
