using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EslCallflow.RealSwitch.Tests.Sip;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// Issue 32 part 3 on the real switch: FreeSWITCH rings at most 128 legs from one bridge (switch_ivr_originate.c
/// MAX_PEERS); the daemon rings a group of 128 whole and refuses a bigger one at load. The members beyond the six phones
/// are devices whose SIP users FreeSWITCH's directory does not have: their legs fail at once ("Can't find user").
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class LegLimitSwitchTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    private static string Absent(int i) => (5000 + i).ToString(CultureInfo.InvariantCulture);

    /// <summary>Devices lim5001... for SIP users 5001... on 127.0.0.1, which FreeSWITCH's directory does not have.</summary>
    private static string AbsentDevices(int count) => new JsonArray([.. Enumerable.Range(1, count).Select(i => (JsonNode)new JsonObject
    {
        ["id"] = $"lim{Absent(i)}",
        ["sip"] = new JsonObject { ["username"] = Absent(i), ["realm"] = RealSwitch.Domain },
    })]).ToJsonString();

    /// <summary>Callflow 7130: a simultaneous ring group of <paramref name="absent"/> absent devices, then dev1001 last.</summary>
    private static string RingGroup(int absent) => new JsonObject
    {
        ["id"] = "suite-leg-limit",
        ["numbers"] = new JsonArray("7130"),
        ["flow"] = new JsonObject
        {
            ["module"] = "ring_group",
            ["data"] = new JsonObject
            {
                ["strategy"] = "simultaneous",
                ["timeout"] = 20,
                ["endpoints"] = new JsonArray([
                    .. Enumerable.Range(1, absent).Select(i => (JsonNode)new JsonObject { ["id"] = $"lim{Absent(i)}", ["endpoint_type"] = "device" }),
                    new JsonObject { ["id"] = "dev1001", ["endpoint_type"] = "device" },
                ]),
            },
        },
    }.ToJsonString();

    [RealSwitchFact]
    public Task A_group_of_128_rings_its_last_member_and_one_of_130_is_refused_at_reload_while_the_128_keep_ringing() => fixture.RunAsync(output, async s =>
    {
        await using var devices = await s.Daemon.OverrideDocumentAsync("devices/leg-limit.json", AbsentDevices(129), s.Cancellation);
        await using var group = await s.Daemon.OverrideDocumentAsync("callflows/7130-leg-limit.json", RingGroup(127), s.Cancellation);

        var first = s.Phone("1005").Dial("7130");
        var last = await s.Phone("1001").InviteAsync(Soon);
        var uuid = await s.DaemonCallAsync("7130");
        var ringing = await s.CallLineAsync(uuid, Soon, "ringing 128 leg(s)");
        var absent = await AbsentUsersLoggedAsync(s, 127);
        s.Report($"128 members: the 128th (1001) got its INVITE {Scene.Ms(last.ReceivedAt - first.InviteSentAt)} ms after the caller's; FreeSWITCH could not find {absent} of the absent users");
        Assert.Equal(127, absent);
        await first.CancelAsync(s.Cancellation);

        File.WriteAllText(Path.Combine(s.Daemon.ConfigurationFolder, "callflows", "7130-leg-limit.json"), RingGroup(129));
        using var reload = await s.Daemon.Http.PostAsync("/reload", null, s.Cancellation);
        var body = await reload.Content.ReadAsStringAsync(s.Cancellation);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reload.StatusCode);
        var error = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray()).GetString()!;
        s.Report($"130 members: POST /reload {(int)reload.StatusCode}: {error}");
        Assert.StartsWith("callflows/7130-leg-limit.json: document 'suite-leg-limit' $.flow.data.endpoints: rings 130 devices, more than the 128 FreeSWITCH takes from one bridge", error, StringComparison.Ordinal);

        s.Phone("1001").Reset();
        var second = s.Phone("1005").Dial("7130");
        await s.Phone("1001").InviteAsync(Soon);
        var secondUuid = await s.DaemonCallAsync("7130", index: 1);
        await s.CallLineAsync(secondUuid, Soon, "ringing 128 leg(s)");
        await second.CancelAsync(s.Cancellation);
        s.Report($"after the refused reload the next call rang the 128 again: {ringing.Trim()}");
    });

    [RealSwitchFact]
    public Task FreeSWITCH_itself_drops_every_leg_past_the_128th_of_one_originate() => fixture.RunAsync(output, async s =>
    {
        // The fact the refusal rests on, natively: 127 absent users, then 1001 as the 128th leg and 1002 as the 129th.
        var legs = Enumerable.Range(1, 127).Select(i => $"user/{Absent(i)}@{RealSwitch.Domain}").Append($"user/1001@{RealSwitch.Domain}").Append($"user/1002@{RealSwitch.Domain}");
        await s.Switch.ApiAsync($"bgapi originate {{ignore_early_media=true,originate_timeout=5}}{string.Join(',', legs)} &park()", s.Cancellation);

        // separate_string_char_delim stops at the array's end, so the 128th part is the rest of the string, unsplit.
        var joined = await AbsentUsersLoggedAsync(s, 1, "Can't find user [1001@127.0.0.1,user/1002@127.0.0.1]");
        var absent = await AbsentUsersLoggedAsync(s, 127);
        await Task.Delay(Wire.ReactionTime, s.Cancellation);
        s.Report($"129 legs in one originate: FreeSWITCH looked up {absent} absent users, then the 128th and 129th legs as one user; 1001 got {s.Phone("1001").Incoming.Count} INVITE(s), 1002 {s.Phone("1002").Incoming.Count}");
        Assert.Equal(1, joined);
        Assert.Empty(s.Phone("1001").Incoming);
        Assert.Empty(s.Phone("1002").Incoming);
    });

    /// <summary>How many FreeSWITCH log lines of this test hold <paramref name="text"/>, once there are <paramref name="expected"/> (or after a few seconds).</summary>
    private static async Task<int> AbsentUsersLoggedAsync(Scene s, int expected, string text = "Can't find user [5")
    {
        var deadline = SipClock.Now + TimeSpan.FromSeconds(5);
        while (true)
        {
            var count = s.SwitchLines().Count(l => l.Contains(text, StringComparison.Ordinal));
            if (count >= expected || SipClock.Now > deadline)
            {
                return count;
            }
            await Task.Delay(50, s.Cancellation);
        }
    }
}
