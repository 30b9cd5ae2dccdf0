namespace EslCallflow.Callflows.Tests;

/// <summary>The modules that make `_` and cause-keyed branches useful are validated like ring_group itself.</summary>
public class ChildModuleValidationTests
{
    public static TheoryData<string, string, string, string> BadChildren => new()
    {
        { "device", """{ }""", "$.flow.children._.data.id", "is required" },
        { "device", """{ "id": "nobody" }""", "$.flow.children._.data.id", "device 'nobody' does not exist" },
        { "user", """{ "id": "ghost" }""", "$.flow.children._.data.id", "user 'ghost' does not exist" },
        { "user", """{ "id": "d1005,user/9999" }""", "$.flow.children._.data.id", "must be 1 to 128 characters" },
        { "device", """{ "id": "d1005", "timeout": 0 }""", "$.flow.children._.data.timeout", "0 is out of range 1..3600" },
        { "play", """{ }""", "$.flow.children._.data.id", "is required" },
        { "play", """{ "id": "beep" }""", "$.flow.children._.data.id", "'beep' must be a TGML tone" },
        { "response", """{ "code": 200 }""", "$.flow.children._.data.code", "200 is out of range 400..699" },
        { "response", """{ "code": 486, "message": "Busy\nHere" }""", "$.flow.children._.data.message", "control character" },
        { "response", """{ "code": 486, "media": "rm -rf" }""", "$.flow.children._.data.media", "'rm -rf' must not contain spaces" },
        { "response", """{ "code": 486, "media": "ftp://x/y.wav" }""", "$.flow.children._.data.media", "must be a TGML tone" },
        { "transfer", """{ }""", "$.flow.children._.data.extension", "is required" },
        { "transfer", """{ "extension": "1000 XML evil" }""", "$.flow.children._.data.extension", "must be digits, letters or _ + * # . -" },
        { "transfer", """{ "extension": "1000", "context": "a b" }""", "$.flow.children._.data.context", "must be digits, letters or _ + * # . -" },
        { "callflow", """{ "id": "elsewhere" }""", "$.flow.children._.data.id", "callflow 'elsewhere' does not exist" },
        { "group_pickup", """{ "user_id": "ghost" }""", "$.flow.children._.data.user_id", "user 'ghost' does not exist" },
        { "group_pickup", """{ "group_id": "sales", "approved_device_id": "gone" }""", "$.flow.children._.data.approved_device_id", "device 'gone' does not exist" },
        { "group_pickup", """{ "approved_user_id": "alice" }""", "$.flow.children._.data", "group_pickup needs a scope" },
        { "group_pickup_feature", """{ "approved_group_id": "nobody" }""", "$.flow.children._.data.approved_group_id", "group 'nobody' does not exist" },
        { "group_pickup_feature", """{ "type": "extension,device" }""", "$.flow.children._.data.type", "extension,device" },
        { "play", """{ "id": "/ok.wav", "skip_module": "yes" }""", "$.flow.children._.data.skip_module", "must be true or false, not a string" },
    };

    [Theory]
    [MemberData(nameof(BadChildren))]
    public void Bad_child_module_data_is_reported_with_its_path_and_reason(string module, string data, string path, string reason)
    {
        var result = Fixtures.Load($$"""
        { "id": "rg", "numbers": ["7000"], "flow": {
            "module": "ring_group", "data": { "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] },
            "children": { "_": { "module": "{{module}}", "data": {{data}} } } } }
        """);

        Assert.Null(result.Configuration);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("rg", path), (error.DocumentId, error.Path));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_child_module_with_good_data_loads()
    {
        var result = Fixtures.Load("""
        [ { "id": "rg", "numbers": ["7000"], "flow": {
            "module": "ring_group", "data": { "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] },
            "children": {
              "NO_ANSWER": { "module": "device", "data": { "id": "d1006", "timeout": 15 } },
              "USER_BUSY": { "module": "play", "data": { "id": "/sounds/busy.wav" },
                             "children": { "_": { "module": "response", "data": { "code": 486, "message": "Busy Here", "media": "tone_stream://%(500,500,480,620)" } } } },
              "CALL_REJECTED": { "module": "transfer", "data": { "extension": "9000", "context": "default" } },
              "_": { "module": "callflow", "data": { "id": "other" } } } } },
          { "id": "other", "numbers": ["7001"], "flow": { "module": "user", "data": { "id": "alice" } } } ]
        """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }
}
