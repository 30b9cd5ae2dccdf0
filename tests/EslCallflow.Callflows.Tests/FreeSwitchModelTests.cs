using System.Text.Json;
using EslCallflow.Testing;
using EslCallflow.Testing.FreeSwitchModel;

namespace EslCallflow.Callflows.Tests;

/// <summary>
/// The dial-string model (tests/EslCallflow.Testing/FreeSwitchDialString.cs) against results worked out by hand from
/// FreeSWITCH 1.10.12's C code; each case names the functions that decide it.
/// </summary>
public class FreeSwitchModelTests
{
    /// <summary>What DialString.Build sent before this fix, for a caller whose caller_id.internal.name is <c>O'Brien!sip_h_X-Injected=yes</c>.</summary>
    private const string OldBuilderOutput =
        "{call_timeout=20,originate_timeout=20,ignore_early_media=true,local_var_clobber=true,outbound_redirect_fatal=true}"
        + @"[^^!leg_timeout='20'!eslcallflow_device_id='d2'!origination_caller_id_name='O\'Brien!sip_h_X-Injected=yes'!origination_caller_id_number='1001']user/1002@r";

    [Fact]
    public void The_old_builders_quoting_lets_a_caller_id_name_add_a_sip_header_as_the_real_switch_showed()
    {
        // switch_channel_expand_variables_check removes \' ; the '|' split's cleanup_separated_string then strips every
        // quote pair, so the [^^!...] block is split on each '!' of the name.
        var leg = Assert.Single(FreeSwitchDialString.Parse(OldBuilderOutput).Legs);

        Assert.Equal("yes", leg.Variables["sip_h_X-Injected"]);
        Assert.Equal("yes", leg.ChannelVariables["sip_h_X-Injected"]);
        Assert.Equal("OBrien", leg.Variables["origination_caller_id_name"]);
        Assert.Equal("OBrien", leg.CallerIdName);
        Assert.Equal("user/1002@r", leg.Endpoint);
    }

    [Fact]
    public void A_bridge_captured_on_a_real_switch_reads_as_the_switch_reported_it()
    {
        // outbound-bridge-fail-plain.txt: the argument sent, and the channel's current_application_data afterwards (what
        // switch_core_session_exec stored after expansion); both legs were tried (user/1009 absent, error/USER_BUSY).
        var chunks = Transcript.Load("outbound-bridge-fail-plain.txt");
        var sent = chunks.Where(c => c.Direction == TranscriptDirection.Sent).Select(c => c.Text).Single(t => t.Contains("execute-app-name: bridge", StringComparison.Ordinal));
        var argument = sent.Split('\n').Single(l => l.StartsWith("execute-app-arg: ", StringComparison.Ordinal))["execute-app-arg: ".Length..];
        var received = string.Concat(chunks.Where(c => c.Direction == TranscriptDirection.Received).Select(c => c.Text));
        var stored = received.Split('\n').First(l => l.StartsWith("variable_current_application_data: %7B", StringComparison.Ordinal))["variable_current_application_data: ".Length..];

        var parsed = FreeSwitchDialString.Parse(argument);

        Assert.Equal(Uri.UnescapeDataString(stored), parsed.Expanded);
        Assert.Equal(["user/1009@127.0.0.1", "error/USER_BUSY"], parsed.Legs.Select(l => l.Endpoint));
        Assert.Equal(new Dictionary<string, string> { ["leg_timeout"] = "2" }, parsed.Legs[0].Variables);
        Assert.Equal(new Dictionary<string, string> { ["leg_delay_start"] = "1", ["leg_timeout"] = "2" }, parsed.Legs[1].Variables);
        Assert.Equal("true", parsed.Globals["fail_on_single_reject"]);
    }

    [Fact]
    public void Expansion_removes_an_escaped_quote_and_halves_backslashes_but_leaves_plain_text_alone()
    {
        // switch_channel_expand_variables_check: untouched without ${ or an escape (its first check); otherwise \' vanishes,
        // \\ is \, \$ is $, $$x is $x.
        Assert.Equal("$$x", VariableExpansion.Expand("$$x").Text);
        Assert.Equal(@"$x\", VariableExpansion.Expand(@"$$x\\").Text);
        Assert.Equal("OBrien", VariableExpansion.Expand(@"O\'Brien").Text);
        Assert.Equal("${x}", VariableExpansion.Expand(@"\${x}", new Dictionary<string, string> { ["x"] = "no" }).Text);
        Assert.Equal("a7b", VariableExpansion.Expand("a${x}b", new Dictionary<string, string> { ["x"] = "7" }).Text);
        Assert.Equal(["system reboot"], VariableExpansion.Expand("${system reboot}").ApiCalls);
    }

    [Fact]
    public void The_pipe_split_strips_a_level_of_quotes_before_a_block_is_read_so_quotes_do_not_protect_its_separator()
    {
        // separate_string_char_delim keeps '1,2' whole, cleanup_separated_string drops the quotes; the comma is then marked
        // UNQUOTED_ESC_COMMA (not in quotes any more, no ^^) and create_brackets splits on it: "2" has no '=' and is ignored.
        var leg = Assert.Single(FreeSwitchDialString.Parse("[a='1,2']user/x").Legs);

        Assert.Equal(new Dictionary<string, string> { ["a"] = "1" }, leg.Variables);
        Assert.Equal("user/x", leg.Endpoint);
    }

    [Fact]
    public void A_quote_pairs_with_the_next_quote_anywhere_later_even_in_another_leg()
    {
        // separate_string_char_delim: a quote toggles when strchr(ptr+1, '\'') finds another one later in the buffer.
        var lone = FreeSwitchDialString.Parse("[^^!n=it's]user/1|user/2");
        Assert.Equal(["user/1", "user/2"], lone.Legs.Select(l => l.Endpoint));
        Assert.Equal("it's", lone.Legs[0].Variables["n"]);

        var paired = Assert.Single(FreeSwitchDialString.Parse("[^^!n=it's]user/1|[^^!n=Bob's]user/2").Legs);
        Assert.Equal("its", paired.Variables["n"]);
        Assert.Equal("user/1|[^^!n=Bobs]user/2", paired.Endpoint);
    }

    [Fact]
    public void Global_variables_are_split_on_commas_outside_quotes()
    {
        var parsed = FreeSwitchDialString.Parse("{a=1,b='x,y'}user/z");

        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "x,y" }, parsed.Globals);
        Assert.Equal("user/z", Assert.Single(parsed.Legs).Endpoint);
        Assert.Empty(parsed.Legs[0].Variables);
        Assert.Equal("x,y", parsed.Legs[0].ChannelVariables["b"]);
    }

    [Fact]
    public void Carets_at_the_start_of_any_split_buffer_change_its_delimiter()
    {
        // switch_separate_string: a buffer starting ^^X is split on X.
        var parsed = FreeSwitchDialString.Parse("^^;user/1@x;user/2@y");

        Assert.Equal('|', parsed.Separator);
        Assert.Equal(["user/1@x", "user/2@y"], parsed.Legs.Select(l => l.Endpoint));
    }

    [Fact]
    public void Backslash_escapes_survive_one_level_each()
    {
        // After expansion (\s is not one of its escapes) the '|' split's cleanup turns \| into | and \s into a space.
        var leg = Assert.Single(FreeSwitchDialString.Parse(@"user/a\|b\sc").Legs);

        Assert.Equal("user/a|b c", leg.Endpoint);
    }

    [Fact]
    public void A_closing_bracket_in_a_value_ends_the_block_whatever_the_quotes()
    {
        // switch_find_end_paren counts brackets only.
        var leg = Assert.Single(FreeSwitchDialString.Parse("[^^!a='x]y'!b=2]user/1").Legs);

        Assert.Equal(new Dictionary<string, string> { ["a"] = "x" }, leg.Variables);
        Assert.Equal("y!b=2]user/1", leg.Endpoint);
    }

    [Fact]
    public void The_enterprise_separator_anywhere_starts_separate_originates()
    {
        // switch_ivr_originate: strstr(bridgeto, ":_:") hands everything to switch_ivr_enterprise_originate.
        var parsed = FreeSwitchDialString.Parse("{a=1}user/1:_:user/2");

        Assert.True(parsed.Enterprise);
        Assert.Equal(["user/1", "user/2"], parsed.Legs.Select(l => l.Endpoint));
        Assert.Equal("1", parsed.Originates[0].Globals["a"]);
        Assert.False(parsed.Originates[1].Globals.ContainsKey("a"));
        Assert.Equal("true", parsed.Originates[1].Globals["ignore_early_media"]);
    }

    [Fact]
    public void A_leg_value_holding_a_variable_reference_is_refused_on_the_channel()
    {
        // switch_channel_set_variable_var_check with check_vars on: switch_string_var_check_const("$\{x}") is true.
        var leg = Assert.Single(FreeSwitchDialString.Parse(@"[^^!a=$\{x}!b=2]user/1").Legs);

        Assert.Equal(@"$\{x}", leg.Variables["a"]);
        Assert.Equal(["a"], leg.RefusedVariables);
        Assert.False(leg.ChannelVariables.ContainsKey("a"));
        Assert.Equal("2", leg.ChannelVariables["b"]);
    }

    [Fact]
    public void Local_values_win_only_with_local_var_clobber()
    {
        Assert.Equal("5", Assert.Single(FreeSwitchDialString.Parse("{local_var_clobber=true,leg_timeout=9}[leg_timeout=5]user/1").Legs).ChannelVariables["leg_timeout"]);
        Assert.Equal("9", Assert.Single(FreeSwitchDialString.Parse("{leg_timeout=9}[leg_timeout=5]user/1").Legs).ChannelVariables["leg_timeout"]);
    }

    [Fact]
    public void A_later_value_replaces_an_earlier_one_and_an_element_without_a_value_is_ignored()
    {
        // CHANNEL_DATA events carry EF_UNIQ_HEADERS (switch_event_base_add_header deletes the old one); "c=" splits into
        // one element only (separate_string_char_delim stops at the terminator), and create_brackets needs two.
        var leg = Assert.Single(FreeSwitchDialString.Parse("[^^!a=1!b=2!a=3!c=]user/1").Legs);

        Assert.Equal(new Dictionary<string, string> { ["a"] = "3", ["b"] = "2" }, leg.Variables);
    }

    [Fact]
    public void More_than_128_legs_leave_the_rest_unsplit_in_the_last_one()
    {
        // MAX_PEERS 128: switch_separate_string stops at the array length.
        var parsed = FreeSwitchDialString.Parse(string.Join('|', Enumerable.Range(0, 130).Select(i => $"user/{i}")));

        Assert.Equal(FreeSwitchDialString.MaxPeers, parsed.Legs.Count);
        Assert.Equal("user/127|user/128|user/129", parsed.Legs[^1].Endpoint);
    }

    [Theory]
    [InlineData(@"""O\""Neil""", @"O""Neil")]
    [InlineData(@"a""b", "b")]
    [InlineData("100%41", "100A")]
    [InlineData(@"a\b", "ab")]
    [InlineData("O'Brien", "O'Brien")]
    public void Sofia_decodes_the_caller_id_name_before_quoting_it_into_the_from_header(string callerIdName, string displayed)
    {
        Assert.Equal(displayed, SofiaCallerId.Displayed(callerIdName));
    }

    [Theory]
    [InlineData("Sales/Support", "Support")]
    [InlineData("A/V room", "V room")]
    [InlineData("Sales: Alice", " Alice")]
    [InlineData("alice@home/x", "alice")]
    [InlineData("a:b/c", "c")]
    [InlineData("a/b:c", "c")]
    [InlineData("Plain name", "Plain name")]
    public void Sofia_cuts_a_caller_id_name_at_at_slash_and_colon_as_the_real_switch_showed(string written, string shown)
    {
        // mod_sofia.c sofia_outgoing_channel: switch_sanitize_number on the new leg's caller profile. Real 1.10.12:
        // Sales/Support arrived as Support on user/ and sofia/ legs (behaviour.md).
        var leg = Assert.Single(FreeSwitchDialString.Parse($"[^^!origination_caller_id_name={written}]user/1001@r").Legs);

        Assert.Equal(shown, SofiaCallerId.ProfileName(leg));
        Assert.Equal(shown, SofiaCallerId.OnPhone(leg));
    }

    [Fact]
    public void The_captured_originates_give_the_caller_profile_names_the_model_gives()
    {
        // inbound-caller-id-cut-json.txt: each originate's leg as mod_sofia made it (CHANNEL_OUTGOING, fired by
        // switch_core_session_outgoing_channel) and once its thread started (CHANNEL_CREATE, after execute_on_originate).
        var chunks = Transcript.Load("inbound-caller-id-cut-json.txt");
        var received = string.Concat(chunks.Where(c => c.Direction == TranscriptDirection.Received).Select(c => c.Text));
        var events = received.Split("{\"Event-Name\":\"CHANNEL_").Skip(1).Select(rest => FirstJsonValue("{\"Event-Name\":\"CHANNEL_" + rest))
            .ToDictionary(e => (e.GetProperty("Event-Name").GetString()!, e.GetProperty("Unique-ID").GetString()!), e => e.GetProperty("Caller-Caller-ID-Name").GetString());
        var originates = chunks.Where(c => c.Direction == TranscriptDirection.Sent && c.Text.StartsWith("bgapi originate ", StringComparison.Ordinal)).Select(c => c.Text).ToList();

        Assert.Equal(2, originates.Count);
        foreach (var originate in originates)
        {
            var dialString = FreeSwitchDialString.OriginateDialString(originate["bgapi originate ".Length..originate.IndexOf('\n', StringComparison.Ordinal)]);
            var leg = Assert.Single(FreeSwitchDialString.Parse(dialString).Legs);
            var uuid = leg.Globals["origination_uuid"];

            Assert.Equal(events[("CHANNEL_OUTGOING", uuid)], SofiaCallerId.SanitizeNumber(leg.CallerIdName!));
            Assert.Equal(events[("CHANNEL_CREATE", uuid)], SofiaCallerId.ProfileName(leg));
        }
        Assert.Equal(["Support", "Sales/Support"], events.Where(e => e.Key.Item1 == "CHANNEL_CREATE").OrderBy(e => e.Key.Item2, StringComparer.Ordinal).Select(e => e.Value));
    }

    /// <summary>The JSON object <paramref name="text"/> starts with (an event's body; the next frame may follow on the same line).</summary>
    private static JsonElement FirstJsonValue(string text)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text));
        return JsonDocument.ParseValue(ref reader).RootElement;
    }

    [Fact]
    public void Loopback_legs_keep_the_whole_name_and_sip_from_display_wins_on_the_phone()
    {
        var loopback = Assert.Single(FreeSwitchDialString.Parse("[^^!origination_caller_id_name=Sales/Support]loopback/9196/default").Legs);
        var display = Assert.Single(FreeSwitchDialString.Parse("[^^!origination_caller_id_name=Sales/Support!sip_from_display=Sales/Support]user/1001@r").Legs);

        Assert.Equal("Sales/Support", SofiaCallerId.ProfileName(loopback));
        Assert.Equal("Support", SofiaCallerId.ProfileName(display));
        Assert.Equal("Sales/Support", SofiaCallerId.OnPhone(display));
    }

    [Fact]
    public void An_execute_on_originate_set_profile_var_puts_the_name_back_before_the_invite()
    {
        var leg = Assert.Single(FreeSwitchDialString.Parse(
            "[^^!origination_caller_id_name=Sales/Support!execute_on_originate_x=set_profile_var caller_id_name=Sales/Support]user/1001@r").Legs);
        var other = Assert.Single(FreeSwitchDialString.Parse(
            "[^^!origination_caller_id_name=Sales/Support!execute_on_originate_x=set_profile_var callee_id_name=Sales/Support]user/1001@r").Legs);

        Assert.Equal("Sales/Support", SofiaCallerId.OnPhone(leg));
        Assert.Equal("Support", SofiaCallerId.OnPhone(other));
    }

    [Fact]
    public void A_parse_error_fails_the_bridge()
    {
        Assert.Throws<FreeSwitchDialStringException>(() => FreeSwitchDialString.Parse("{a=1"));
        Assert.Throws<FreeSwitchDialStringException>(() => FreeSwitchDialString.Parse("{a=1}"));
    }
}
