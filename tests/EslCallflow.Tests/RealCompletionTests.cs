using EslCallflow.Calls.Pickup;
using EslCallflow.Calls.Ringing;
using EslCallflow.Esl.Messages;
using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>
/// The completions a real FreeSWITCH 1.10.12 sent when 1006 picked up a 7000 call (the two captures of one
/// pickup), read as the daemon reads them. These two captures were anonymised after capture, so their chunk
/// byte counts no longer frame them: the json bodies are read line by line instead.
/// </summary>
public class RealCompletionTests
{
    private static EslEvent Completion(string capture, string application) =>
        File.ReadLines(Transcript.PathOf(capture))
            .Where(line => line.StartsWith("{\"Event-Name\"", StringComparison.Ordinal))
            .Select(line => DecodedEvents.Json(System.Text.Encoding.UTF8.GetBytes(line)))
            .First(e => e.EventName == "CHANNEL_EXECUTE_COMPLETE" && e.Application == application);

    [Fact]
    public void The_ring_groups_bridge_ended_by_a_pickup_reads_as_picked_up_not_missed()
    {
        var completion = Completion("outbound-ringgroup-pickedup-json.txt", "bridge");

        var outcome = BridgeOutcome.From(completion);

        Assert.Equal("ORIGINATOR_CANCEL", completion.GetVariable("originate_disposition"));
        Assert.Equal(BridgeResult.PickedUp, outcome.Result);
        Assert.Equal("ca33fd86-6661-4f38-874e-8ed20c4b4d2f", outcome.OtherLeg);
    }

    [Fact]
    public void The_pickers_intercept_completion_names_the_caller_it_was_bridged_to()
    {
        var completion = Completion("outbound-picker-json.txt", "intercept");

        Assert.Equal("80c823b9-55a4-4104-b304-8239858a0d27", InterceptGuard.BridgedTo(completion));
    }

    [Fact]
    public void A_set_completion_of_the_same_picker_bridges_nothing()
    {
        var completion = Completion("outbound-picker-json.txt", "set");

        Assert.Null(InterceptGuard.BridgedTo(completion));
    }

    [Fact]
    public void A_caller_who_hung_up_while_ringing_is_missed_not_picked_up()
    {
        var completion = Completion("outbound-ringgroup-pickedup-json.txt", "bridge");
        var headers = completion.ToDictionary(h => h.Key, h => h.Value);
        headers["Answer-State"] = "hangup";

        var outcome = BridgeOutcome.From(new EslEvent(headers));

        Assert.Equal(BridgeResult.Failed, outcome.Result);
        Assert.Equal("ORIGINATOR_CANCEL", outcome.Cause);
    }
}
