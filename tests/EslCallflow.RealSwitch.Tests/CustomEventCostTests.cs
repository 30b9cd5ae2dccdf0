using System.Diagnostics;
using System.Globalization;
using EslCallflow.Esl.Inbound;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// What one <c>sendevent CUSTOM eslcallflow::call</c> costs FreeSWITCH, by the headers it carries, reported (not
/// asserted): with CallRecords:FreeSwitchEvents on, the daemon's call records fire four a call. mod_event_socket.c
/// <c>read_packet</c> reads a command's headers one byte per <c>recv</c> and its body in one, so the header bytes are
/// what to count. The same event body (a record's JSON) goes with the key headers (the default header set), with
/// <c>Event-Subclass</c> alone, and with the key headers and no body, in alternating rounds on one inbound
/// connection. BENCHMARKS.md keeps the figures.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class CustomEventCostTests(RealSwitch fixture, ITestOutputHelper output)
{
    private const int Rounds = 4;
    private const int EventsPerRound = 3000;
    private const int WarmUp = 500;

    [RealSwitchFact]
    public Task FreeSWITCH_CPU_per_CUSTOM_event_by_its_headers() => fixture.RunAsync(output, async s =>
    {
        var switchPid = s.Switch.ProcessId ?? throw new InvalidOperationException("FreeSWITCH is not running");
        await using var client = await EslInboundClient.ConnectAsync(
            new EslInboundOptions { Port = s.Switch.EslPort, Password = s.Switch.EslPassword }, cancellationToken: s.Cancellation);
        var call = Guid.NewGuid().ToString();
        var body = RecordJson(call);
        // As FreeSwitchEventHeaders.From writes them for CallRecords:FreeSwitchEventHeaders=Keys (the default).
        KeyValuePair<string, string>[] keys =
        [
            new("Event-Subclass", "eslcallflow::call"), new("Eslcallflow-Event", "call.ended"),
            new("Eslcallflow-Call-Uuid", call), new("Eslcallflow-Outcome", "answered"),
        ];
        KeyValuePair<string, string>[] subclassOnly = [new("Event-Subclass", "eslcallflow::call")];
        var ways = new (string Name, KeyValuePair<string, string>[] Headers, string? Body)[]
        {
            ("key headers and the record", keys, body),
            ("Event-Subclass alone and the record", subclassOnly, body),
            ("key headers, no body", keys, null),
        };
        foreach (var way in ways)
        {
            await SendAsync(client, way.Headers, way.Body, WarmUp, s.Cancellation);
        }
        var cpu = new double[ways.Length];
        var wall = new double[ways.Length];
        for (var round = 0; round < Rounds; round++)
        {
            for (var w = 0; w < ways.Length; w++)
            {
                var i = (w + round) % ways.Length;
                var before = ProcessCpu.Seconds(switchPid);
                var started = Stopwatch.GetTimestamp();
                await SendAsync(client, ways[i].Headers, ways[i].Body, EventsPerRound, s.Cancellation);
                wall[i] += Stopwatch.GetElapsedTime(started).TotalSeconds;
                cpu[i] += ProcessCpu.Seconds(switchPid) - before;
            }
        }

        const int events = Rounds * EventsPerRound;
        s.Report($"FreeSWITCH CPU per sendevent CUSTOM, {events} events each way in {Rounds} alternating rounds, one at a time (µs; /proc/<pid>/stat, 10 ms ticks):");
        for (var w = 0; w < ways.Length; w++)
        {
            var headerBytes = CommandHeaderBytes(ways[w].Headers, ways[w].Body);
            s.Report($"  {ways[w].Name} ({headerBytes} header bytes, {ways[w].Body?.Length ?? 0} body bytes): CPU {Us(cpu[w])}, round trip {Us(wall[w])}");
        }
        var perByte = (cpu[0] - cpu[1]) / (CommandHeaderBytes(keys, body) - CommandHeaderBytes(subclassOnly, body));
        s.Report($"  each header byte: {Us(perByte)} µs of CPU; the body: {Us(cpu[0] - cpu[2])} µs");
        s.Report($"  load: {File.ReadAllText("/proc/loadavg").Trim()}");
        Assert.All(cpu, c => Assert.True(c > 0, "FreeSWITCH's CPU did not move"));
    }, TimeSpan.FromMinutes(4));

    private static async Task SendAsync(EslInboundClient client, KeyValuePair<string, string>[] headers, string? body, int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await client.SendEventAsync("CUSTOM", headers, body, cancellationToken);
        }
    }

    /// <summary>The bytes FreeSWITCH reads one at a time: the command line and its headers, Content-Length included, and the blank line.</summary>
    private static int CommandHeaderBytes(KeyValuePair<string, string>[] headers, string? body) =>
        "sendevent CUSTOM\n".Length + headers.Sum(h => h.Key.Length + 2 + h.Value.Length + 1)
        + (body is null ? 0 : "Content-Length: \n".Length + System.Text.Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture).Length) + 1;

    private string Us(double seconds) => (seconds * 1e6 / (Rounds * EventsPerRound)).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>An ended call's event as the daemon writes it: the size of a real one (about 1.2 KB).</summary>
    private static string RecordJson(string call) =>
        $$"""{"id":"{{Guid.NewGuid()}}","sequence":4,"type":"call.ended","at":"2026-12-07T07:00:00.000Z","call_uuid":"{{call}}","record":{"call_uuid":"{{call}}","number":"7301","callflow_id":"rg-7301","caller":{"id_number":"1005","id_name":"Extension 1005","device_id":"dev1005","user_id":"user1005"},"started_at":"2026-12-07T06:59:58.000Z","ended_at":"2026-12-07T07:00:00.000Z","outcome":"answered","modules":[{"module":"ring_group","outcome":"answered","attempts":1}],"ringing":[{"device_id":"dev1001","leg_uuid":"{{Guid.NewGuid()}}","started_at":"2026-12-07T06:59:58.010Z","ended_at":"2026-12-07T06:59:58.050Z","result":"answered"}],"answered":{"device_id":"dev1001","leg_uuid":"{{Guid.NewGuid()}}","at":"2026-12-07T06:59:58.050Z","after_ms":40},"talk_seconds":1.9,"hung_up_by":"caller","hangup_cause":"NORMAL_CLEARING","node":"fs1"}""" + "}";
}
