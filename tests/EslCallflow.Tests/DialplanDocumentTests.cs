using System.Buffers;
using System.Text;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Dialplan;
using EslCallflow.Testing;
using EslCallflow.Testing.FreeSwitchModel;

namespace EslCallflow.Tests;

/// <summary>The documents mod_xml_curl gets, read back as FreeSWITCH reads them; the fetch read as it comes.</summary>
public class DialplanDocumentTests
{
    private static readonly Dictionary<string, string> Backslash = new() { [DialplanDocument.BackslashVariable] = "\\", [DialplanDocument.DollarVariable] = "$" };

    [Fact]
    public void Every_character_FreeSWITCH_would_act_on_arrives_as_written()
    {
        var hostile = "a&b <c> \"d\" 'e' ]]> $${hostname} $$x x-pre-process X-Pre-Process <?xml <include> </include> <!--#exec \"id\"--> é 中 \x7F";
        var document = DialplanDocument.Build("default", [new PlannedCommand("log", hostile), new PlannedCommand("ring_ready", null)]);

        var read = XmlDialplan.Read(document, "default", new Dictionary<string, string> { ["hostname"] = "INJECTED" });

        Assert.Empty(read.DroppedLines);
        Assert.Empty(read.PreprocessorCommands);
        Assert.Equal([new DialplanAction("log", hostile), new DialplanAction("ring_ready", null)], read.Actions);
        Assert.DoesNotContain("$$", document, StringComparison.Ordinal);
        Assert.DoesNotContain("x-pre-process", document, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_not_found_document_sends_FreeSWITCH_to_its_static_dialplan()
    {
        Assert.True(XmlDialplan.Read(Encoding.UTF8.GetString(DialplanDocument.NotFound), "default").NotFound);
    }

    [Theory]
    [InlineData("O'Brien")]
    [InlineData("back\\slash'")]
    [InlineData("\\'\\\\''")]
    [InlineData("$'{x}\\$'")]
    public void An_argument_with_an_escaped_apostrophe_is_added_and_expands_to_what_the_socket_path_sends(string text)
    {
        var encoded = AppArgument.Encode("x=" + text + "|" + text);
        var document = DialplanDocument.Build("default", [new PlannedCommand("bridge", encoded)]);

        var read = XmlDialplan.Read(document, "default");

        Assert.Empty(read.NotAdded);
        var variables = new Dictionary<string, string>();
        foreach (var action in read.Actions.Where(a => a.Application == "set"))
        {
            var (name, value) = (action.Data!.Split('=', 2)[0], action.Data.Split('=', 2)[1]);
            variables[name] = VariableExpansion.Expand(value, variables).Text;
        }
        var bridge = read.Actions.Single(a => a.Application == "bridge");
        Assert.Equal(VariableExpansion.Expand(encoded).Text, VariableExpansion.Expand(bridge.Data!, variables).Text);
    }

    [Fact]
    public void Rewriting_escaped_apostrophes_never_changes_what_an_encoded_argument_expands_to()
    {
        const string alphabet = "\\'${}a ";
        var random = new Random(29);
        for (var n = 0; n < 20_000; n++)
        {
            var chars = new char[random.Next(1, 12)];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = alphabet[random.Next(alphabet.Length)];
            }
            var text = new string(chars);
            var argument = AppArgument.Encode(text);
            var rewritten = DialplanDocument.WithoutEscapedApostrophes(argument)!;
            Assert.DoesNotContain("\\'", rewritten, StringComparison.Ordinal);
            Assert.True(text == VariableExpansion.Expand(rewritten, Backslash).Text, $"'{text}' sent as '{argument}' became '{rewritten}'");
        }
    }

    [Fact]
    public void The_captured_fetch_is_read_for_its_channel_and_hunted_profile()
    {
        var first = DialplanFetch.Parse(Encoding.ASCII.GetBytes(XmlCurlFetch.CapturedRequest(1).Body));
        Assert.Equal(("dialplan", "default", "7000", "8a02dfcb-d829-4a1f-a930-c5388dd09da3"), (first.Section, first.Context, first.Destination, first.Uuid));
        Assert.Equal(("1005", "127.0.0.1", "Alice Caller", "ringing"), (first.Channel.GetVariable("sip_auth_username"), first.Channel.GetVariable("sip_auth_realm"), first.Channel["Caller-Caller-ID-Name"], first.Channel.AnswerState));

        var next = DialplanFetch.Parse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(XmlCurlFetch.CapturedRequest(2).Body)));
        Assert.Equal((DialplanOptions.NextContext, "WyIxIiwiY2FwdHVyZSJd"), (next.Context, next.Destination));
        Assert.Equal(("USER_NOT_REGISTERED", "USER_NOT_REGISTERED", "69"), (next.Channel.GetVariable("originate_disposition"), next.Channel.GetVariable("originate_failed_cause"), next.Channel.GetVariable("max_forwards")));
        Assert.Equal(("USER_NOT_REGISTERED", "Failed"), (Calls.Ringing.BridgeOutcome.From(next.Channel).Cause, Calls.Ringing.BridgeOutcome.From(next.Channel).Result.ToString()));

        var hostile = DialplanFetch.Parse(Encoding.ASCII.GetBytes(XmlCurlFetch.CapturedRequest(3).Body));
        Assert.Equal("Evil \\\"q\\\" &lt;&amp;&gt;]]&gt; $%{hostname} x-pre-process A %{uuid}", hostile.Channel["Caller-Caller-ID-Name"]);
    }

    [Fact]
    public void The_model_of_the_form_writes_what_FreeSWITCH_wrote()
    {
        var captured = XmlCurlFetch.CapturedRequest(1).Body;
        var fields = XmlCurlFetch.ParseForm(captured);

        Assert.Equal(captured, string.Join('&', fields.Select(f => f.Key + "=" + XmlCurlFetch.Encode(f.Value))));
    }

    [Theory]
    [InlineData("sales", new string[0], 1)]
    [InlineData("a\nb", new[] { "NO_ANSWER", "_", "x\"y" }, 7)]
    public void A_continuation_token_names_its_node_back(string callflow, string[] path, int attempt)
    {
        var token = new ContinuationToken(callflow, path, attempt);
        var encoded = token.Encode();

        Assert.Matches("^[A-Za-z0-9_-]+$", encoded);
        var decoded = ContinuationToken.Decode(encoded)!;
        Assert.Equal((callflow, attempt), (decoded.CallflowId, decoded.Attempt));
        Assert.Equal(path, decoded.Path);
        Assert.Null(ContinuationToken.Decode("7000"));
        Assert.Null(ContinuationToken.Decode("not base64!"));
    }

    [Fact]
    public void Plain_variables_set_one_after_another_go_to_FreeSWITCH_as_one_multiset_in_their_order()
    {
        var document = DialplanDocument.Build("default",
        [
            new PlannedCommand("set", AppArgument.Set("eslcallflow_number", "*71001")),
            new PlannedCommand("set", AppArgument.Set("ringback", "%(2000,4000,440,480)")),
            new PlannedCommand("multiset", RingGroupPlanner.BridgeSettings),
            new PlannedCommand("ring_ready", null),
            new PlannedCommand("set", AppArgument.Set("alone", "1")),
            new PlannedCommand("bridge", "user/1001"),
        ]);

        var read = XmlDialplan.Read(document, "default");

        Assert.Equal(
        [
            new DialplanAction("multiset", "eslcallflow_number=*71001 ringback=%(2000,4000,440,480) continue_on_fail=true hangup_after_bridge=true"),
            new DialplanAction("ring_ready", null),
            new DialplanAction("set", "alone=1"),
            new DialplanAction("bridge", "user/1001"),
        ], read.Actions);
    }

    [Theory]
    [InlineData("Sales Team")]
    [InlineData("O'Brien")]
    [InlineData("say \"hi\"")]
    [InlineData("${hostname}")]
    [InlineData("back\\slash")]
    public void A_value_that_multiset_would_split_or_unquote_keeps_its_own_set(string value)
    {
        var own = new PlannedCommand("set", AppArgument.Set("effective_caller_id_name", value));
        var document = DialplanDocument.Build("default", [new PlannedCommand("set", "eslcallflow_number=7000"), own, new PlannedCommand("multiset", "^^|a=1|b=2")]);

        var read = XmlDialplan.Read(document, "default");

        Assert.Equal(["set", "set", "multiset"], read.Actions.Select(a => a.Application));
        Assert.Equal(value, VariableExpansion.Expand(VariableExpansion.Expand(read.Actions[1].Data!).Text.Split('=', 2)[1]).Text);
    }

    [Fact]
    public void A_name_multiset_would_read_as_a_delimiter_or_a_scope_keeps_its_own_set_and_no_multiset_passes_256_pieces()
    {
        List<PlannedCommand> commands = [new("set", "^^|a=1"), new("set", "%[x=1]y=2"), .. Enumerable.Range(0, 300).Select(i => new PlannedCommand("set", $"v{i}=1"))];

        var read = XmlDialplan.Read(DialplanDocument.Build("default", commands), "default");

        Assert.Equal(["set", "set", "multiset", "multiset"], read.Actions.Select(a => a.Application));
        Assert.Equal([256, 44], read.Actions.Skip(2).Select(a => a.Data!.Split(' ').Length));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"v{i}=1"), read.Actions.Skip(2).SelectMany(a => a.Data!.Split(' ')));
    }
}
