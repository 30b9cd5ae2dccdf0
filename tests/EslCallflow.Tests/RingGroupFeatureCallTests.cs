using System.Text.Json;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Records;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;
using static EslCallflow.Tests.RingGroupFeatureScenes;

namespace EslCallflow.Tests;

/// <summary>Issue 31 through the daemon on the fake switch: skip_busy, round_robin across a restart, ring_group_toggle.</summary>
public class RingGroupFeatureCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static CallRecord LastRecord(RunningDaemon daemon) => daemon.Host.Services.GetRequiredService<CallRecords>().Recent(1)[0];

    private static string[] Rung(FakeCall call) =>
        [.. FreeSwitchDialString.Parse(call.Executions.Single(e => e.Application == "bridge").Argument!).Legs.Select(l => l.Variables[DialString.DeviceVariable])];

    [Fact]
    public async Task Skip_busy_rings_only_members_not_on_a_call_and_records_the_busy_ones()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"skip_busy\": true,"))));
        await OnACallAsync(daemon, "dev1001");

        await using var call = await daemon.CallAsync("7100", "1005", Bridges.Answered());
        await call.Closed.WaitAsync(Timeout);

        Assert.Equal(["dev1003", "dev1004"], Rung(call));
        var attempt = Assert.Single(LastRecord(daemon).RingAttempts);
        Assert.Equal([new LeftOut("dev1001", "busy")], attempt.LeftOut);
    }

    [Fact]
    public async Task Everyone_busy_goes_to_the_USER_BUSY_child_without_ringing()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"skip_busy\": true,"))));
        foreach (var device in new[] { "dev1001", "dev1003", "dev1004" })
        {
            await OnACallAsync(daemon, device);
        }

        await using var call = await daemon.CallAsync("7100", "1005", Bridges.Answered());
        await call.Closed.WaitAsync(Timeout);

        Assert.DoesNotContain(call.Executions, e => e.Application == "bridge");
        Assert.Equal("respond", call.Executions[^1].Application);
        Assert.StartsWith("486", call.Executions[^1].Argument, StringComparison.Ordinal);
        Assert.Equal(["busy", "busy", "busy"], LastRecord(daemon).RingAttempts.Single().LeftOut.Select(l => l.Reason));
    }

    [Fact]
    public async Task Round_robin_starts_each_call_after_the_last_start_and_remembers_it_across_a_restart()
    {
        var folder = RunningDaemon.ConfigWith(("rg.json", Group("\"strategy\": \"round_robin\",")));
        var state = Directory.CreateTempSubdirectory("eslcallflow-state").FullName;
        var starts = new List<string>();
        foreach (var run in new[] { 2, 2 })
        {
            await using var daemon = await RunningDaemon.StartAsync(folder, $"--EslCallflow:StatePath={state}");
            for (var i = 0; i < run; i++)
            {
                await using var call = await daemon.CallAsync("7100", "1005", Bridges.Fails("NO_ANSWER"));
                await call.Closed.WaitAsync(Timeout);
                starts.Add(Rung(call)[0]);
                Assert.Equal("round_robin", LastRecord(daemon).RingAttempts.Single().Strategy);
            }
        }

        Assert.Equal(["dev1001", "dev1003", "dev1004", "dev1001"], starts);
        Assert.True(File.Exists(Path.Combine(state, "ring-groups.json")));
    }

    [Fact]
    public async Task A_reload_that_changes_the_members_keeps_the_rotation_of_those_still_there()
    {
        var folder = RunningDaemon.ConfigWith(("rg.json", Group("\"strategy\": \"round_robin\",")));
        await using var daemon = await RunningDaemon.StartAsync(folder, "--EslCallflow:ReloadMinInterval=00:00:00");
        async Task<string> FirstAsync()
        {
            await using var call = await daemon.CallAsync("7100", "1005", Bridges.Fails("NO_ANSWER"));
            await call.Closed.WaitAsync(Timeout);
            return Rung(call)[0];
        }
        async Task ReloadAsync(string endpoints)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "callflows", "rg.json"), Group("\"strategy\": \"round_robin\",").Replace(
                """[ { "id": "dev1001", "endpoint_type": "device" }, { "id": "dev1003", "endpoint_type": "device" }, { "id": "dev1004", "endpoint_type": "device" } ]""", endpoints, StringComparison.Ordinal));
            using var http = new HttpClient();
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.PostAsync(new Uri(daemon.Http, "/reload"), null)).StatusCode);
        }

        var first = await FirstAsync();
        await ReloadAsync("""[ { "id": "dev1001", "endpoint_type": "device" }, { "id": "dev1004", "endpoint_type": "device" } ]""");
        var afterRemoval = await FirstAsync();
        await ReloadAsync("""[ { "id": "dev1001", "endpoint_type": "device" }, { "id": "dev1003", "endpoint_type": "device" }, { "id": "dev1004", "endpoint_type": "device" } ]""");
        var afterReturn = await FirstAsync();

        Assert.Equal(["dev1001", "dev1004", "dev1001"], new[] { first, afterRemoval, afterReturn });
    }

    [Fact]
    public async Task Least_recent_rings_first_whoever_answered_longest_ago()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"strategy\": \"least_recent\","))));
        var firsts = new List<string>();
        foreach (var answering in new[] { "dev1001", "dev1004", "dev1003" })
        {
            await using var call = await daemon.CallAsync("7100", "1005", async (fake, execution) =>
            {
                if (execution.Application == "bridge")
                {
                    // The feed names the answering leg's device, as FreeSWITCH's does with the leg's variable.
                    await OnACallAsync(daemon, answering, "leg-" + answering);
                }
                await Bridges.AnsweredInTurnBy(answering)(fake, execution);
            });
            await call.Closed.WaitAsync(Timeout);
            firsts.Add(Rung(call)[0]);
        }
        await using var last = await daemon.CallAsync("7100", "1005", Bridges.Fails("NO_ANSWER"));
        await last.Closed.WaitAsync(Timeout);

        // Never answered first in document order; then 1001 (longest ago), 1004, 1003.
        Assert.Equal(["dev1001", "dev1003", "dev1003"], firsts);
        Assert.Equal(["dev1001", "dev1004", "dev1003"], Rung(last));
    }

    [Fact]
    public async Task The_answering_device_is_named_when_the_feed_shows_its_leg_only_after_the_call_s_own_socket_did()
    {
        // As the real switch did under load (RingGroupFeatureTests.Least_recent on the socket path): the call's socket
        // named the answering leg, with the bridge over, before the channel feed had shown that leg at all.
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"strategy\": \"least_recent\","))));
        await using var call = await daemon.CallAsync("7100", "1005", async (fake, execution) =>
        {
            await Bridges.AnsweredInTurnBy("dev1004")(fake, execution);
            if (execution.Application == "bridge")
            {
                await Task.Delay(100);
                await OnACallAsync(daemon, "dev1004", "leg-dev1004");
            }
        });
        await call.Closed.WaitAsync(Timeout);
        await using var next = await daemon.CallAsync("7100", "1005", Bridges.Fails("NO_ANSWER"));
        await next.Closed.WaitAsync(Timeout);

        var answered = daemon.Host.Services.GetRequiredService<CallRecords>().Recent(2).Select(r => r.Answered).First(a => a is not null)!;
        Assert.Equal(("dev1004", "leg-dev1004"), (answered.DeviceId, answered.LegUuid));
        // least_recent remembered it: the next call rings dev1004 last.
        Assert.Equal(["dev1001", "dev1003", "dev1004"], Rung(next));
    }

    [Fact]
    public async Task Ring_group_toggle_logs_the_callers_user_out_and_in_with_presence_a_tone_and_the_left_out_reason()
    {
        await using var daemon = await RunningDaemon.StartAsync();

        await using (var logout = await daemon.CallAsync("*60", "1001"))
        {
            await logout.Closed.WaitAsync(Timeout);
            Assert.Contains(logout.Executions, e => e.Application == "playback" && e.Argument == Callflows.Modules.RingGroupToggleData.DefaultLoggedOutMedia);
        }
        var presence = daemon.FreeSwitch.SentEvents.Last(e => e.EventName == "PRESENCE_IN");
        Assert.Equal(("*60@127.0.0.1", "terminated", "dialog"), (presence.Headers["from"], presence.Headers["answer-state"], presence.Headers["alt_event_type"]));
        // One dialog per key, named by a UUID that is no channel's, so FreeSWITCH fires the event rather than queue it to a call.
        Assert.Equal(GroupState.MemberPresence.DialogId("*60", "127.0.0.1").ToString("D"), presence.Headers["Unique-ID"]);

        await using (var ring = await daemon.CallAsync("7000", "1005", Bridges.Answered()))
        {
            await ring.Closed.WaitAsync(Timeout);
            Assert.DoesNotContain("dev1001", Rung(ring));
            Assert.DoesNotContain("dev1002", Rung(ring));
        }
        Assert.Equal([new LeftOut("dev1001", "logged_out"), new LeftOut("dev1002", "logged_out")], LastRecord(daemon).RingAttempts.Single().LeftOut);
        using var http = new HttpClient();
        var listing = JsonDocument.Parse(await http.GetStringAsync(new Uri(daemon.Http, "/ring-groups"))).RootElement;
        var alice = listing.GetProperty("sales-ring-group").GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == "user:alice");
        Assert.False(alice.GetProperty("loggedIn").GetBoolean());
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"ring_group_toggle\",outcome=\"logged_out\"} 1", await daemon.MetricsAsync(), StringComparison.Ordinal);

        await using (var login = await daemon.CallAsync("*61", "1002"))
        {
            await login.Closed.WaitAsync(Timeout);
        }
        Assert.Equal("confirmed", daemon.FreeSwitch.SentEvents.Last(e => e.EventName == "PRESENCE_IN").Headers["answer-state"]);
        await using var again = await daemon.CallAsync("7000", "1005", Bridges.Answered());
        await again.Closed.WaitAsync(Timeout);
        Assert.Contains("dev1001", Rung(again));
    }

    [Fact]
    public async Task A_caller_outside_the_group_changes_nothing_and_hears_the_refusal()
    {
        await using var daemon = await RunningDaemon.StartAsync();

        await using var call = await daemon.CallAsync("*62", "1005");
        await call.Closed.WaitAsync(Timeout);

        Assert.Contains(call.Executions, e => e.Application == "playback" && e.Argument == Callflows.Modules.RingGroupToggleData.DefaultRefusedMedia);
        Assert.DoesNotContain(daemon.FreeSwitch.SentEvents, e => e.EventName == "PRESENCE_IN");
    }

    [Fact]
    public async Task An_external_caller_s_own_name_follows_the_prefix_on_every_leg()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(("rg.json", Group("\"caller_id_name_prefix\": \"Sales/Support: \","))));

        await using var call = await FakeCall.DialAsync(daemon.CallEndpoint,
            new FakeCallSetup { Destination = "7100", CallerIdName = "Zoë O'Brien, Jr!", CallerIdNumber = "15551234", Switch = daemon.FreeSwitch }, Bridges.Answered());
        await call.Closed.WaitAsync(Timeout);

        var legs = FreeSwitchDialString.Parse(call.Executions.Single(e => e.Application == "bridge").Argument!).Legs;
        Assert.Equal(3, legs.Count);
        Assert.All(legs, leg => Assert.Equal("Sales/Support: Zoë O'Brien, Jr!", Testing.FreeSwitchModel.SofiaCallerId.OnPhone(leg)));
    }
}

/// <summary>Issue 31 in <c>plan</c>: the strategy, who is left out and why, the prefix, the confirm variables, a toggle.</summary>
public class RingGroupFeaturePlanTests
{
    private static string Plan(params string[] args)
    {
        var output = new StringWriter();
        Assert.Equal(0, Cli.CliCommands.Run(["plan", .. args], output, new StringWriter()));
        return output.ToString();
    }

    [Fact]
    public void Plan_shows_busy_and_logged_out_members_with_their_reasons()
    {
        var text = Plan("7000", "--from", "dev1005", "--config", RunningDaemon.BundledConfig, "--busy", "dev1006", "--logged-out", "user:bob");

        Assert.Contains("  strategy simultaneous", text, StringComparison.Ordinal);
        Assert.Contains("  not rung dev1003: logged_out", text, StringComparison.Ordinal);
        // The bundled sales group does not skip busy members: dev1006 rings.
        Assert.Contains("  ring dev1006 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_shows_the_prefix_the_confirm_variables_and_everyone_busy()
    {
        var folder = RunningDaemon.ConfigWith(("rg.json", """
            { "id": "rg-7100", "numbers": ["7100"], "flow": { "module": "ring_group", "data": {
                "strategy": "round_robin", "skip_busy": true, "caller_id_name_prefix": "Sales: ",
                "endpoints": [ { "id": "dev1001", "endpoint_type": "device", "confirm": true, "confirm_timeout": 8 }, { "id": "dev1003", "endpoint_type": "device" } ] } } }
            """));

        var text = Plan("7100", "--from", "dev1005", "--config", folder, "--last-started", "dev1001");
        var busy = Plan("7100", "--config", folder, "--busy", "dev1001,dev1003");

        Assert.Contains("  strategy round_robin, skip_busy", text, StringComparison.Ordinal);
        Assert.Contains("  members see the caller id name 'Sales: Dave'", text, StringComparison.Ordinal);
        var rings = text.Split('\n').Where(l => l.StartsWith("  ring ", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("  ring dev1003 ", rings[0], StringComparison.Ordinal);
        Assert.Contains("confirm: key 1 within 8s of answering", rings[1], StringComparison.Ordinal);
        Assert.Contains("group_confirm_key=1", text, StringComparison.Ordinal);
        Assert.Contains("  not rung dev1001: busy", busy, StringComparison.Ordinal);
        Assert.Contains("nobody to ring: continues at once with the 'USER_BUSY' child, else '_'", busy, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_of_a_toggle_names_the_member_and_whether_it_belongs()
    {
        Assert.Contains("  toggle member user:bob in the ring group of callflow sales-ring-group", Plan("*60", "--from", "dev1003", "--config", RunningDaemon.BundledConfig), StringComparison.Ordinal);
        Assert.Contains("not a member, nothing changes", Plan("*62", "--from", "dev1005", "--config", RunningDaemon.BundledConfig), StringComparison.Ordinal);
    }
}
