using System.Globalization;
using System.Text;
using System.Text.Json;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// What the real switch showed when a picker hung up as soon as it had its 200 OK (DeadAirTests, captured with
/// ESLCALLFLOW_CAPTURE_DIR), and what <see cref="SimulatedSwitch.StrandAsync"/> therefore models: after the picker's
/// CHANNEL_HANGUP the caller stays answered and FreeSWITCH sends nothing more about it, held in CS_RESET (a plain
/// dialplan caller) or still in CS_EXECUTE (the daemon's own socket session), until the daemon's uuid_kill about
/// half a second later ends it with NORMAL_CLEARING.
/// </summary>
public class StrandedCaptureTests
{
    [Theory]
    [InlineData("events-stranded-pickup-group-json.txt", "CS_EXECUTE")]
    [InlineData("events-stranded-pickup-directed-json.txt", "CS_RESET")]
    public void After_the_pickers_hangup_the_caller_hears_nothing_until_the_daemon_ends_it(string transcript, string heldIn)
    {
        var events = Events(Transcript.ReceivedStream(transcript));
        var picker = events.First(e => e.Name == "CHANNEL_ANSWER" && e.Application == "intercept").Uuid;
        var caller = events.First(e => e.Name == "CHANNEL_ANSWER" && e.Application == "bridge").Uuid;
        var pickerGone = events.FindIndex(e => e.Name == "CHANNEL_HANGUP" && e.Uuid == picker);
        var callerGone = events.FindIndex(e => e.Name == "CHANNEL_HANGUP" && e.Uuid == caller);

        Assert.True(pickerGone < callerGone, "the picker hangs up first");
        var callerBefore = events.Take(pickerGone).Last(e => e.Uuid == caller);
        Assert.Equal((heldIn, "answered"), (callerBefore.State, callerBefore.AnswerState));
        Assert.DoesNotContain(events.Skip(pickerGone + 1).Take(callerGone - pickerGone - 1), e => e.Uuid == caller);
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
