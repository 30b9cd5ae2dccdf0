using System.Globalization;
using System.Text;
using System.Text.Json;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// What the real switch showed when a picker hung up as soon as it had its 200 OK (DeadAirTests, captured with
/// ESLCALLFLOW_CAPTURE_DIR), and what <see cref="SimulatedSwitch.StrandAsync"/> therefore models: after the picker's
/// CHANNEL_HANGUP the caller stays answered and FreeSWITCH only moves it to CS_RESET (uuid_bridge's state handlers,
/// switch_ivr_bridge.c), where it stays, for a ring group's call (once the daemon let go of its socket) and a plain
/// dialplan call alike, until the daemon's uuid_kill about half a second later ends it with NORMAL_CLEARING.
/// </summary>
public class StrandedCaptureTests
{
    [Theory]
    [InlineData("events-stranded-pickup-group-json.txt")]
    [InlineData("events-stranded-pickup-directed-json.txt")]
    public void After_the_pickers_hangup_the_caller_is_left_in_cs_reset_until_the_daemon_ends_it(string transcript)
    {
        var events = Events(Transcript.ReceivedStream(transcript));
        var picker = events.First(e => e.Name == "CHANNEL_ANSWER" && e.Application == "intercept").Uuid;
        var caller = events.First(e => e.Name == "CHANNEL_ANSWER" && e.Application == "bridge").Uuid;
        var pickerGone = events.FindIndex(e => e.Name == "CHANNEL_HANGUP" && e.Uuid == picker);
        var callerGone = events.FindIndex(e => e.Name == "CHANNEL_HANGUP" && e.Uuid == caller);

        Assert.True(pickerGone < callerGone, "the picker hangs up first");
        // Nothing joins the caller to anyone: only uuid_bridge's own state handlers move it, to CS_RESET, answered.
        var meanwhile = events.Take(callerGone).Skip(pickerGone + 1).Where(e => e.Uuid == caller).ToList();
        Assert.All(meanwhile, e => Assert.Equal("CHANNEL_STATE", e.Name));
        var last = events.Take(callerGone).Last(e => e.Uuid == caller);
        Assert.Equal(("CS_RESET", "answered"), (last.State, last.AnswerState));
        Assert.DoesNotContain(events, e => e.Name == "CHANNEL_BRIDGE" && e.Uuid == caller);
        var waited = (events[callerGone].Micros - events[pickerGone].Micros) / 1000.0;
        Assert.InRange(waited, 400, 2000);
        Assert.Equal("NORMAL_CLEARING", events[callerGone].Cause);
    }

    private sealed record Event(string Name, string Uuid, string? State, string? AnswerState, string? Application, string? Cause, long Micros);

    /// <summary>The json events of a received stream, framed by their Content-Length.</summary>
    private static List<Event> Events(byte[] stream)
    {
        var events = new List<Event>();
        var position = 0;
        while (position < stream.Length)
        {
            var headersEnd = stream.AsSpan(position).IndexOf("\n\n"u8);
            if (headersEnd < 0)
            {
                break;
            }
            var headers = Encoding.UTF8.GetString(stream, position, headersEnd).Split('\n');
            position += headersEnd + 2;
            var length = headers.Where(h => h.StartsWith("Content-Length: ", StringComparison.Ordinal)).Select(h => int.Parse(h[16..], CultureInfo.InvariantCulture)).FirstOrDefault();
            if (headers.Contains("Content-Type: text/event-json"))
            {
                var root = JsonDocument.Parse(stream.AsMemory(position, length)).RootElement;
                string? Text(string name) => root.TryGetProperty(name, out var v) ? v.GetString() : null;
                events.Add(new Event(Text("Event-Name")!, Text("Unique-ID")!, Text("Channel-State"), Text("Answer-State"), Text("variable_current_application"), Text("Hangup-Cause"),
                    long.Parse(Text("Event-Date-Timestamp")!, CultureInfo.InvariantCulture)));
            }
            position += length;
        }
        return events;
    }
}
