namespace EslCallflow.Callflows.Tests;

/// <summary>Documents that once made loading throw, or passed when they should not: each is now an error with its place.</summary>
public class HostileDocumentTests
{
    [Fact]
    public void A_pattern_valid_alone_but_invalid_once_anchored_is_an_error_not_an_exception()
    {
        var result = Fixtures.Load("""{ "id": "x", "numbers": ["7001"], "patterns": ["(?x)7#"], "flow": { "module": "device", "data": { "id": "d1005" } } }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("x", "$.patterns[0]"), (error.DocumentId, error.Path));
        Assert.StartsWith("'(?x)7#' is not a valid regular expression once anchored as ^(?:pattern)$", error.Reason);
    }

    public static TheoryData<string, string, string, string?> LoneSurrogates => new()
    {
        // (file kind, document, expected path, expected document id)
        { "callflows", """{ "id": "x", "numbers": ["7000"], "flow": { "module": "response", "data": { "message": "\ud800" } } }""", "$.flow.data.message", "x" },
        { "callflows", """{ "id": "x", "numbers": ["7000"], "flow": { "module": "device", "data": { "id": "d1005", "\udfff": 1 } } }""", "$.flow.data (a key)", "x" },
        { "devices", """[{ "id": "d9", "sip": { "username": "9", "realm": "r" }, "custom": ["ok", "\ud800x"] }]""", "$.custom[1]", "d9" },
        { "users", """[{ "id": "\ud800" }]""", "$.id", null },
        { "groups", """{ "id": "g", "endpoints": { "\ud83d": { "type": "device" } } }""", "$.endpoints (a key)", "g" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public void A_lone_surrogate_in_any_string_or_key_is_an_error_with_its_path(string kind, string document, string path, string? documentId)
    {
        var result = kind switch
        {
            "callflows" => Fixtures.Load(document),
            "devices" => Fixtures.Load("[]", devices: document),
            "users" => Fixtures.Load("[]", users: document),
            _ => Fixtures.Load("[]", groups: document),
        };

        var error = Assert.Single(result.Errors, e => e.Reason.StartsWith("holds an escaped lone UTF-16 surrogate", StringComparison.Ordinal));
        Assert.Equal((documentId, path), (error.DocumentId, error.Path));
        Assert.Null(result.Configuration);
    }

    [Theory]
    [InlineData("99999999999", "99999999999 is out of range 1..3600")]
    [InlineData("-99999999999", "-99999999999 is out of range 1..3600")]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567890 is out of range 1..3600")]
    [InlineData("2.5", "must be an integer, not a number")]
    [InlineData("1e3", "must be an integer, not a number")]
    public void A_whole_number_too_large_for_an_int_is_out_of_range_not_a_non_integer(string timeout, string reason)
    {
        var result = Fixtures.Load(Fixtures.RingGroup($$"""{ "timeout": {{timeout}}, "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""));

        var error = Assert.Single(result.Errors);
        Assert.Equal(("$.flow.data.timeout", reason), (error.Path, error.Reason));
    }

    [Fact]
    public void A_callflow_cycle_is_reported_at_load_for_each_callflow_on_it()
    {
        var result = Fixtures.Load("""
        [ { "id": "a", "numbers": ["7001"], "flow": { "module": "play", "data": { "id": "/ring.wav" }, "children": { "_": { "module": "callflow", "data": { "id": "b" } } } } },
          { "id": "b", "numbers": ["7002"], "flow": { "module": "callflow", "data": { "id": "a" } } } ]
        """);

        Assert.Equal(
            [
                ("a", "$.flow.children._.data.id", "callflow cycle: a -> b -> a (a call would go round until it is ended after too many steps)"),
                ("b", "$.flow.data.id", "callflow cycle: b -> a -> b (a call would go round until it is ended after too many steps)"),
            ],
            result.Errors.Select(e => (e.DocumentId, e.Path, e.Reason)));
    }

    [Fact]
    public void A_callflow_jumping_to_itself_is_a_cycle()
    {
        var result = Fixtures.Load("""{ "id": "a", "numbers": ["7001"], "flow": { "module": "callflow", "data": { "id": "a" } } }""");

        Assert.Equal("callflow cycle: a -> a (a call would go round until it is ended after too many steps)", Assert.Single(result.Errors).Reason);
    }

    [Fact]
    public void Callflow_jumps_without_a_way_back_and_skipped_jumps_are_not_cycles()
    {
        var result = Fixtures.Load("""
        [ { "id": "a", "numbers": ["7001"], "flow": { "module": "callflow", "data": { "id": "b" } } },
          { "id": "b", "numbers": ["7002"], "flow": { "module": "callflow", "data": { "id": "c" } } },
          { "id": "c", "numbers": ["7003"], "flow": { "module": "callflow", "data": { "id": "a", "skip_module": true }, "children": { "_": { "module": "device", "data": { "id": "d1005" } } } } } ]
        """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Groups_nested_deeper_than_the_limit_are_reported_however_long_the_chain()
    {
        // 5,000 levels: a recursive walk at load (or on a call) would overflow the stack and end the process.
        var groups = "[" + string.Join(",", Enumerable.Range(0, 5000).Select(i =>
            i == 4999 ? $$"""{ "id": "g{{i}}", "endpoints": { "d1005": { "type": "device" } } }"""
                      : $$"""{ "id": "g{{i}}", "endpoints": { "g{{i + 1}}": { "type": "group" } } }""")) + "]";

        var result = Fixtures.Load("[]", groups: groups);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("g0", "$.endpoints", "groups are nested 5000 levels deep from here; at most 100 are allowed"), (error.DocumentId, error.Path, error.Reason));
    }
}
