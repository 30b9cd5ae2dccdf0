using System.Text.Json;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Routing;
using EslCallflow.Dialplan;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EslCallflow.Tests;

/// <summary>
/// Calls through the dialplan fast path, end to end: the fake switch posts mod_xml_curl's captured form to the daemon,
/// reads its answer as FreeSWITCH does and runs it on the call, its channel events on the daemon's feed.
/// </summary>
public class DialplanCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static string ExpectedDialString(string number, string fromDevice, string? folder = null)
    {
        var config = ConfigurationLoader.LoadFolder(folder ?? RunningDaemon.BundledConfig).Configuration!;
        return CallPlanner.Plan(config, number, config.Devices[fromDevice], 1).RingGroup!.DialString!;
    }

    private static IEnumerable<string> Ran(FakeDialplanCall call) =>
        call.Executions.Select(e => e.Argument is null ? e.Application : $"{e.Application} {e.Argument}");

    [Fact]
    public async Task A_ring_group_answered_runs_the_socket_paths_commands_and_is_told_from_the_feed()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var talking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var call = await daemon.DialplanCallAsync("7000", "1005", DialplanBridges.Answered("leg-of-1001", talking.Task, callerHangsUp: true));

        await WaitUntil(() => daemon.LogEvents("outcome answered by").Count == 1);
        var fetch = Assert.Single(call.Fetches);
        Assert.Equal(("default", "7000", 200), (fetch.Context, fetch.Destination, fetch.Response.Status));
        Assert.Empty(fetch.Read!.DroppedLines);
        // The XML runs what the socket path sends (its variables in one multiset), then waits to come back with the bridge's result.
        Assert.Equal(
            ["multiset eslcallflow_number=7000 ringback=%(2000,4000,440,480) transfer_ringback=%(2000,4000,440,480) continue_on_fail=true hangup_after_bridge=true", "ring_ready", "bridge " + ExpectedDialString("7000", "dev1005")],
            Ran(call));
        Assert.Equal("transfer", fetch.Read.Actions[^1].Application);
        Assert.EndsWith(" XML " + DialplanOptions.NextContext, fetch.Read.Actions[^1].Data, StringComparison.Ordinal);
        var answered = daemon.LogEvents("outcome answered by")[0];
        Assert.Equal(("leg-of-1001", call.Uuid), (answered.GetProperty("AnsweredLeg").GetString(), answered.GetProperty("CallUuid").GetString()));
        Assert.Empty(daemon.LogEvents("ended after"));

        talking.SetResult();
        await call.Ended.WaitAsync(Timeout);
        await WaitUntil(() => daemon.LogEvents("ended after").Count == 1);
        var ended = daemon.LogEvents("ended after")[0];
        Assert.Equal(("caller", call.Uuid), (ended.GetProperty("HungUpBy").GetString(), ended.GetProperty("CallUuid").GetString()));
        Assert.Single(call.Fetches);
        var record = await EndedRecordAsync(daemon, call.Uuid);
        Assert.Equal("answered", record.GetProperty("outcome").GetString());
        Assert.Equal("caller", record.GetProperty("hung_up_by").GetString());
        Assert.Equal("7000", record.GetProperty("number").GetString());
        var metrics = await daemon.MetricsAsync();
        Assert.Contains("eslcallflow_calls_total{outcome=\"answered\"} 1", metrics);
        Assert.Contains("eslcallflow_dialplan_fetches_total{result=\"callflow\"} 1", metrics);
    }

    [Fact]
    public async Task When_the_answering_phone_hangs_up_first_the_record_says_so()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.DialplanCallAsync("7000", "1005", DialplanBridges.Answered("leg-of-1003"));

        await call.Ended.WaitAsync(Timeout);

        Assert.Equal("NORMAL_CLEARING", call.HangupCause);
        var record = await EndedRecordAsync(daemon, call.Uuid);
        Assert.Equal("answered", record.GetProperty("outcome").GetString());
        Assert.NotEqual("caller", record.GetProperty("hung_up_by").GetString());
    }

    [Fact]
    public async Task A_ring_group_nobody_answers_comes_back_with_the_cause_and_runs_its_child()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.DialplanCallAsync("7000", "1005", DialplanBridges.Fails("NO_ANSWER"));

        await call.Ended.WaitAsync(Timeout);

        Assert.Equal(2, call.Fetches.Count);
        var next = call.Fetches[1];
        Assert.Equal(DialplanOptions.NextContext, next.Context);
        // The transfer it came back with is given back (FreeSWITCH counts transfers against max_forwards).
        Assert.Equal("set max_forwards=70", Ran(call).ElementAt(4));
        // The child: response 480 Nobody Available.
        Assert.Equal("480 Nobody Available", call.Response);
        Assert.Equal("NO_USER_RESPONSE", call.HangupCause);
        Assert.Single(daemon.LogEvents("outcome missed"));
        var record = await EndedRecordAsync(daemon, call.Uuid);
        Assert.Equal("responded", record.GetProperty("outcome").GetString());
        Assert.Equal("NO_ANSWER", record.GetProperty("missed").GetProperty("cause").GetString());
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"missed\"} 1", await daemon.MetricsAsync());
    }

    [Fact]
    public async Task Repeats_ring_again_from_the_continuation_and_a_cause_keyed_child_wins_over_the_default()
    {
        var config = RunningDaemon.ConfigWith(("7400.json", """
            { "id": "repeats", "numbers": ["7400"], "flow": { "module": "ring_group",
              "data": { "repeats": 2, "endpoints": [ { "id": "dev1001", "endpoint_type": "device" } ] },
              "children": { "USER_BUSY": { "module": "device", "data": { "id": "dev1003" } },
                            "_": { "module": "response", "data": { "code": 486 } } } } }
            """));
        await using var daemon = await RunningDaemon.StartAsync(config);
        await using var call = await daemon.DialplanCallAsync("7400", "1005", DialplanBridges.Fails("USER_BUSY"));

        await call.Ended.WaitAsync(Timeout);

        var bridges = call.Executions.Where(e => e.Application == "bridge").Select(e => FreeSwitchDialString.Parse(e.Argument!).Legs.Single().Endpoint).ToList();
        Assert.Equal(["user/1001@127.0.0.1", "user/1001@127.0.0.1", "user/1003@127.0.0.1"], bridges);
        Assert.Equal(4, call.Fetches.Count);
        Assert.Equal("USER_BUSY", call.HangupCause);
        var record = await EndedRecordAsync(daemon, call.Uuid);
        Assert.Equal([1, 2, 1], record.GetProperty("ring_attempts").EnumerateArray().Select(a => a.GetProperty("attempt").GetInt32()));
    }

    [Fact]
    public async Task A_daemon_restarted_between_two_fetches_carries_the_ring_group_on_from_the_token()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        using var http = new HttpClient();
        var token = new ContinuationToken("sales-ring-group", [], 1).Encode();
        var uuid = Guid.NewGuid().ToString();
        string Continuation(string destination) => XmlCurlFetch.Form(
            new Dictionary<string, string> { ["Unique-ID"] = uuid, ["Caller-Destination-Number"] = destination, ["Caller-Context"] = DialplanOptions.NextContext, ["Hunt-RDNIS"] = "7000" },
            new Dictionary<string, string> { ["originate_disposition"] = "NO_ANSWER", ["originate_failed_cause"] = "NO_ANSWER", ["max_forwards"] = "69" });

        var answer = await XmlCurlFetch.PostAsync(http, daemon.DialplanUrl, Continuation(token));
        var unknown = await XmlCurlFetch.PostAsync(http, daemon.DialplanUrl, Continuation(new ContinuationToken("no-such-callflow", [], 1).Encode()));

        var read = Testing.FreeSwitchModel.XmlDialplan.Read(answer.Body, DialplanOptions.NextContext);
        Assert.Equal(["set max_forwards=70", "respond 480 Nobody Available", "hangup NORMAL_CLEARING"], read.Actions.Select(a => $"{a.Application} {a.Data}"));
        Assert.True(Testing.FreeSwitchModel.XmlDialplan.Read(unknown.Body, DialplanOptions.NextContext).NotFound);
        var missed = Assert.Single(daemon.LogEvents("outcome missed"));
        Assert.Equal(uuid, missed.GetProperty("CallUuid").GetString());
        Assert.Single(daemon.LogEvents("callflow {CallflowId}"));
    }

    [Fact]
    public async Task A_caller_hanging_up_while_it_rings_is_a_missed_call_that_runs_no_child()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await daemon.DialplanCallAsync("7000", "1005", DialplanBridges.RingsForever);
        await call.WaitForExecutionAsync("bridge");
        await WaitUntil(() => daemon.LogEvents("leg(s), attempt").Count == 1);

        await call.CallerHangsUpAsync();

        await WaitUntil(() => daemon.LogEvents("outcome missed").Count == 1);
        Assert.Equal("ORIGINATOR_CANCEL", daemon.LogEvents("outcome missed")[0].GetProperty("Cause").GetString());
        Assert.Single(call.Fetches);
        var record = await EndedRecordAsync(daemon, call.Uuid);
        Assert.Equal("missed", record.GetProperty("outcome").GetString());
        Assert.True(record.GetProperty("missed").GetProperty("caller_hung_up").GetBoolean());
    }

    [Fact]
    public async Task A_dialplan_ring_group_call_is_picked_up_by_a_dialplan_picker_and_both_records_name_each_other()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new DialplanSwitch(daemon.FreeSwitch);
        await using var caller = await daemon.DialplanCallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);

        await using var picker = await daemon.DialplanCallAsync("8000", "1006", fs.Intercepts);

        await picker.Done.WaitAsync(Timeout);
        await WaitUntil(() => daemon.LogEvents("outcome picked up").Count == 1 && daemon.LogEvents("outcome answered by pickup").Count == 1);
        Assert.Equal(["multiset eslcallflow_number=8000 intercept_unanswered_only=true intercept_unbridged_only=false", "intercept " + caller.Uuid], Ran(picker));
        Assert.True(picker.HasLeftDialplan);
        Assert.Null(picker.HangupCause);
        Assert.Single(caller.Fetches);
        Assert.Single(picker.Fetches);
        // The conversation is followed to its end (as on the socket path): the picker hangs up, then the caller.
        await picker.HangUpAsync("NORMAL_CLEARING", "recv_bye");
        await caller.HangUpAsync("NORMAL_CLEARING", "send_bye");
        var pickerRecord = await EndedRecordAsync(daemon, picker.Uuid);
        Assert.Equal("caller", pickerRecord.GetProperty("hung_up_by").GetString());
        Assert.Equal("picked_up", pickerRecord.GetProperty("outcome").GetString());
        Assert.Equal(caller.Uuid, pickerRecord.GetProperty("pickup").GetProperty("picked_call_uuid").GetString());
        var callerRecord = await EndedRecordAsync(daemon, caller.Uuid);
        Assert.Equal("picked_up", callerRecord.GetProperty("outcome").GetString());
        Assert.Equal("dev1006", callerRecord.GetProperty("picked_up").GetProperty("by_device_id").GetString());
        Assert.Equal("dev1006", callerRecord.GetProperty("hung_up_by").GetString());
        var metrics = await daemon.MetricsAsync();
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"ring_group\",outcome=\"picked_up\"} 1", metrics);
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"group_pickup\",outcome=\"picked_up\"} 1", metrics);
        Assert.DoesNotContain("outcome=\"missed\"", metrics);
    }

    [Fact]
    public async Task A_picker_gone_before_the_switch_joined_it_to_the_caller_is_still_a_pickup_and_the_caller_is_not_left_in_dead_air()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new DialplanSwitch(daemon.FreeSwitch) { PickerHangsUpAtOnce = true };
        daemon.FreeSwitch.Api = fs.Api;
        await using var caller = await daemon.DialplanCallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);

        await using var picker = await daemon.DialplanCallAsync("8000", "1006", fs.Intercepts);

        await caller.Ended.WaitAsync(Timeout);
        Assert.Equal($"uuid_kill {caller.Uuid} NORMAL_CLEARING", Assert.Single(fs.Kills));
        var pickerRecord = await EndedRecordAsync(daemon, picker.Uuid);
        Assert.Equal(("picked_up", "daemon"), (pickerRecord.GetProperty("outcome").GetString(), pickerRecord.GetProperty("hung_up_by").GetString()));
        var callerRecord = await EndedRecordAsync(daemon, caller.Uuid);
        Assert.Equal(("picked_up", "daemon"), (callerRecord.GetProperty("outcome").GetString(), callerRecord.GetProperty("hung_up_by").GetString()));
        Assert.Empty(daemon.LogEvents("outcome missed"));
        Assert.Empty(daemon.LogEvents("bridged nothing"));
    }

    [Fact]
    public async Task An_intercept_the_guard_turns_away_comes_back_and_the_picker_gets_480()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new DialplanSwitch(daemon.FreeSwitch);
        await using var caller = await daemon.DialplanCallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);
        // Answered meanwhile on the switch; the channel feed has not told it yet, so the daemon tries.
        fs.AnsweredUnseen(caller.Uuid);

        await using var picker = await daemon.DialplanCallAsync("8000", "1006", fs.Intercepts);

        await picker.Ended.WaitAsync(Timeout);
        Assert.Equal("480 No Call To Pick Up", picker.Response);
        Assert.Empty(daemon.LogEvents("outcome picked up"));
    }

    [Theory]
    [InlineData("8000", "1004", "403 Forbidden", "refused")]
    [InlineData("8000", "1006", "480 No Call To Pick Up", "nothing_to_pick_up")]
    [InlineData("*79999", "1006", "404 No Such Extension", "unknown_target")]
    public async Task Pickup_refusals_are_SIP_responses_before_any_answer(string number, string fromUser, string response, string outcome)
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var picker = await daemon.DialplanCallAsync(number, fromUser);

        await picker.Ended.WaitAsync(Timeout);

        Assert.Equal(response, picker.Response);
        Assert.False(picker.IsAnswered);
        Assert.Single(picker.Fetches);
        var record = await EndedRecordAsync(daemon, picker.Uuid);
        Assert.Equal(outcome, record.GetProperty("outcome").GetString());
        Assert.Equal(int.Parse(response[..3], System.Globalization.CultureInfo.InvariantCulture), record.GetProperty("pickup").GetProperty("sip_code").GetInt32());
    }

    [Theory]
    [InlineData("1001", "default")]
    [InlineData("7000", "public")]
    public async Task A_number_without_a_callflow_or_a_context_not_served_is_not_found_and_the_static_dialplan_runs(string number, string context)
    {
        await using var daemon = await RunningDaemon.StartAsync();
        await using var call = await FakeDialplanCall.DialAsync(daemon.DialplanUrl, new FakeDialplanSetup { Destination = number, SipUser = "1005", Context = context, Switch = daemon.FreeSwitch });

        await call.Done.WaitAsync(Timeout);

        Assert.True(call.RanStaticDialplan);
        Assert.True(call.Fetches.Single().Read!.NotFound);
        Assert.Empty(call.Executions);
        Assert.Empty(daemon.LogEvents("callflow {CallflowId}"));
        Assert.Contains("eslcallflow_dialplan_fetches_total{result=\"not_found\"} 1", await daemon.MetricsAsync());
    }

    [Fact]
    public async Task With_the_channel_feed_down_a_callflow_number_is_not_found_so_the_socket_path_takes_it()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        daemon.FreeSwitch.Responsive = false;
        daemon.FreeSwitch.DropConnections();
        var inbound = daemon.Host.Services.GetRequiredService<Tracking.InboundConnectionService>();
        await WaitUntil(() => !inbound.IsConnected);

        await using var call = await daemon.DialplanCallAsync("7000", "1005");

        await call.Done.WaitAsync(Timeout);
        Assert.True(call.RanStaticDialplan);
        Assert.Contains("eslcallflow_dialplan_fetches_total{result=\"feed_down\"} 1", await daemon.MetricsAsync());
    }

    public static TheoryData<string> HostileNames => new()
    {
        "A <b> & \"c\"",
        "]]> x",
        "X-PRE-PROCESS cmd=\"exec\" data=\"id\"",
        "<X-PRE-PROCESS cmd=\"set\" data=\"domain=evil\"/>",
        "<?xml version=\"1.0\"?>",
        "<include> x",
        "<!--#exec \"id\"-->",
        "$$ money $$",
        "O'Brien \\ back'slash'",
        "tab\\t and \\n literal",
        "%41 100% & 'quotes'",
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task A_hostile_caller_id_name_reaches_the_leg_exactly_and_injects_nothing(string name)
    {
        var folder = RunningDaemon.ConfigWith();
        var devicesFile = Path.Combine(folder, "devices", "devices.json");
        var devices = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(devicesFile))!.AsArray();
        devices.Single(d => (string?)d!["id"] == "dev1005")!["caller_id"] = new System.Text.Json.Nodes.JsonObject
        {
            ["internal"] = new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["number"] = "1005" },
        };
        File.WriteAllText(devicesFile, devices.ToJsonString());
        await using var daemon = await RunningDaemon.StartAsync(folder);
        await using var call = await daemon.DialplanCallAsync("7000", "1005", DialplanBridges.Fails("NO_ANSWER"));

        var bridge = await call.WaitForExecutionAsync("bridge");

        var read = call.Fetches[0].Read!;
        Assert.Empty(read.DroppedLines);
        Assert.Empty(read.PreprocessorCommands);
        Assert.Empty(read.NotAdded);
        // What the socket path sends is what the leg gets here, once FreeSWITCH has expanded it.
        var socketPath = FreeSwitchDialString.Parse(ExpectedDialString("7000", "dev1005", folder)).Legs;
        var legs = FreeSwitchDialString.Parse(bridge.Argument!, call.Variables).Legs;
        Assert.Equal(socketPath.Select(l => (l.Endpoint, l.CallerIdName)), legs.Select(l => (l.Endpoint, l.CallerIdName)));
        Assert.All(legs, leg => Assert.Equal(name, Testing.FreeSwitchModel.SofiaCallerId.Displayed(leg.CallerIdName!)));
        await call.Ended.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Every_other_caller_is_refused_a_fetch_without_the_credentials_401_a_peer_not_allowed_403()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, "--Dialplan:Username=freeswitch", "--Dialplan:Password=correct-horse-battery");
        using var http = new HttpClient();
        var form = XmlCurlFetch.CapturedRequest(1).Body;

        Assert.Equal(401, (await XmlCurlFetch.PostAsync(http, daemon.DialplanUrl, form)).Status);
        Assert.Equal(401, (await XmlCurlFetch.PostAsync(http, daemon.DialplanUrl, form, ("freeswitch", "wrong-password-here"))).Status);
        var allowed = await XmlCurlFetch.PostAsync(http, daemon.DialplanUrl, form, ("freeswitch", "correct-horse-battery"));
        Assert.Equal(200, allowed.Status);
        Assert.Contains("<action application=\"bridge\"", allowed.Body, StringComparison.Ordinal);
        Assert.Equal(2, daemon.LogEvents("Dialplan fetch from").Count);
        // Secrets are never logged, neither the right one nor a wrong one sent.
        var log = string.Join('\n', daemon.LogEvents("").Select(e => e.GetRawText()));
        Assert.DoesNotContain("correct-horse-battery", log, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-here", log, StringComparison.Ordinal);

        await using var elsewhere = await RunningDaemon.StartAsync(null, "--Dialplan:AllowedPeers:0=192.0.2.0/24", "--Dialplan:AllowedPeers:1=192.0.2.1");
        Assert.Equal(403, (await XmlCurlFetch.PostAsync(http, elsewhere.DialplanUrl, form)).Status);
    }

    private static async Task<JsonElement> EndedRecordAsync(RunningDaemon daemon, string uuid)
    {
        using var http = new HttpClient();
        JsonElement? found = null;
        await WaitUntil(() =>
        {
            var calls = JsonDocument.Parse(http.GetStringAsync(new Uri(daemon.Http, "/calls")).GetAwaiter().GetResult()).RootElement;
            found = calls.GetProperty("recent").EnumerateArray().Where(r => r.GetProperty("call_uuid").GetString() == uuid).Select(r => (JsonElement?)r.Clone()).FirstOrDefault();
            return found is not null;
        });
        return found!.Value;
    }

    private static Task WaitUntil(Func<bool> condition) => Eventually.True(condition, Timeout);
}
