using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// The outbound session's verbs: each writes the application and argument FreeSWITCH runs, and reads its
/// completion into a typed result; an outcome such as nobody answering is a result, not an exception.
/// </summary>
public class SessionVerbTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="handler"/> as the session of one fake call; returns what it returned and the call.</summary>
    private static async Task<(T Result, FakeCall Call)> RunAsync<T>(Func<EslOutboundSession, CancellationToken, Task<T>> handler, Func<FakeCall, FakeExecution, Task>? onExecute = null)
    {
        var result = new TaskCompletionSource<T>();
        await using var listener = new EslOutboundListener(new EslOutboundListenerOptions { Port = 0 }, async (session, ct) =>
        {
            try
            {
                result.SetResult(await handler(session, ct));
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        });
        await listener.StartAsync();
        var call = await FakeCall.DialAsync(listener.LocalEndPoint!, new FakeCallSetup { Destination = "7000" }, onExecute);
        try
        {
            return (await result.Task.WaitAsync(Timeout), call);
        }
        finally
        {
            await call.DisposeAsync();
        }
    }

    [Fact]
    public async Task Each_verb_runs_its_application_with_the_argument_FreeSWITCH_reads()
    {
        var (played, call) = await RunAsync(async (session, ct) =>
        {
            await session.PreAnswerAsync(ct);
            var played = await session.PlaybackAsync("/sounds/en/us/callie/ivr/8000/ivr-hold.wav", ct);
            await session.AnswerAsync(ct);
            await session.RespondAsync(486, "Busy Here", ct);
            await session.RespondAsync(603, "", ct);
            await session.TransferAsync("1000", "XML", "features", ct);
            await session.TransferAsync("2000", cancellationToken: ct);
            return played;
        }, (c, execution) => c.CompleteAsync(execution, response: execution.Application == "playback" ? "FILE PLAYED" : "_none_"));

        Assert.True(played);
        Assert.Equal(
            [
                ("pre_answer", null), ("playback", "/sounds/en/us/callie/ivr/8000/ivr-hold.wav"), ("answer", null),
                ("respond", "486 Busy Here"), ("respond", "603"), ("transfer", "1000 XML features"), ("transfer", "2000 XML default"),
            ],
            call.Executions.Select(e => (e.Application, e.Argument)));
    }

    [Theory]
    [InlineData("FILE NOT FOUND")]
    [InlineData("PLAYBACK ERROR")]
    public async Task Media_that_did_not_play_is_a_false_result(string response)
    {
        var (played, _) = await RunAsync((session, ct) => session.PlaybackAsync("/no/such.wav", ct),
            (c, execution) => c.CompleteAsync(execution, response: response));

        Assert.False(played);
    }

    [Fact]
    public async Task Arguments_that_would_split_differently_or_name_a_flag_are_refused_before_anything_is_sent()
    {
        var (refused, call) = await RunAsync(async (session, ct) =>
        {
            var attempts = new Func<Task>[]
            {
                () => session.RespondAsync(99, "Too low", ct),
                () => session.RespondAsync(700, "Too high", ct),
                () => session.RespondAsync(486, "Busy\nexecute-app-name: hangup", ct),
                () => session.TransferAsync("10 00", cancellationToken: ct),
                () => session.TransferAsync("-bleg", cancellationToken: ct),
                () => session.TransferAsync("1000", "XML", "", ct),
                () => session.InterceptAsync("leg a", cancellationToken: ct),
                () => session.BridgeAsync("", cancellationToken: ct),
                () => session.PlaybackAsync("", ct),
            };
            var refused = 0;
            foreach (var attempt in attempts)
            {
                refused += await Assert.ThrowsAnyAsync<ArgumentException>(attempt) is not null ? 1 : 0;
            }
            return refused;
        });

        Assert.Equal(9, refused);
        Assert.Empty(call.Executions);
    }

    [Fact]
    public async Task An_answered_bridge_says_who_answered_and_how_the_conversation_ended()
    {
        var (result, call) = await RunAsync((session, ct) =>
            session.BridgeAsync("user/1001@127.0.0.1", [new("set", "ringback=%(2000,4000,440,480)"), new("ring_ready")], ct),
            async (c, execution) =>
            {
                if (execution.Application == "bridge")
                {
                    await c.AnswerBridgeAsync("b-leg");
                    await c.EndBridgeAsync(execution, "b-leg", callerHangsUp: false);
                }
            });

        Assert.True(result.Answered);
        Assert.Equal(("SUCCESS", "NORMAL_CLEARING", "b-leg"), (result.Disposition, result.HangupCause, result.OtherLeg));
        Assert.Equal("bridge", result.Completion.Application);
        Assert.Equal(
            [("set", "ringback=%(2000,4000,440,480)"), ("ring_ready", null), ("bridge", "user/1001@127.0.0.1")],
            call.Executions.Select(e => (e.Application, e.Argument)));
    }

    [Fact]
    public async Task A_bridge_nobody_answered_is_a_result_with_its_cause()
    {
        var (result, _) = await RunAsync((session, ct) => session.BridgeAsync("user/1001@127.0.0.1", cancellationToken: ct),
            (c, execution) => c.CompleteAsync(execution, new Dictionary<string, string>
            {
                ["variable_originate_disposition"] = "USER_BUSY",
                ["variable_originate_failed_cause"] = "USER_BUSY",
            }));

        Assert.False(result.Answered);
        Assert.Equal(("USER_BUSY", "USER_BUSY", null), (result.Disposition, result.HangupCause, result.OtherLeg));
    }

    [Fact]
    public async Task An_intercept_of_the_other_leg_reads_the_leg_it_took_or_a_refusal()
    {
        string[] guard = ["intercept_unanswered_only=true", "intercept_unbridged_only=false"];
        var (results, call) = await RunAsync(async (session, ct) =>
        {
            var before = guard.Select(g => new EslExecute("set", g)).ToList();
            return (await session.InterceptAsync("ringing-leg", otherLeg: true, before, ct), await session.InterceptAsync("caller-leg", cancellationToken: ct));
        }, (c, execution) => execution switch
        {
            { Application: "intercept", Argument: "-bleg ringing-leg" } => c.CompleteAsync(execution, new Dictionary<string, string>
            {
                ["variable_bridge_uuid"] = "caller-leg",
                ["variable_signal_bond"] = "caller-leg",
                ["Answer-State"] = "answered",
            }),
            _ => c.CompleteAsync(execution),
        });

        Assert.True(results.Item1.Answered);
        Assert.Equal("caller-leg", results.Item1.OtherLeg);
        Assert.False(results.Item2.Answered);
        Assert.Null(results.Item2.OtherLeg);
        Assert.Equal(
            [("set", guard[0]), ("set", guard[1]), ("intercept", "-bleg ringing-leg"), ("intercept", "caller-leg")],
            call.Executions.Select(e => (e.Application, e.Argument)));
    }

    /// <summary>Completions captured from FreeSWITCH 1.10.12 (Transcripts/README.md), read as a bridge's or an intercept's result.</summary>
    [Theory]
    [InlineData("outbound-bridge-fail-plain.txt", "bridge", false, "failure", "SUBSCRIBER_ABSENT", null)]
    [InlineData("outbound-ringgroup-pickedup-json.txt", "bridge", false, "ORIGINATOR_CANCEL", "ORIGINATOR_CANCEL", "ca33fd86-6661-4f38-874e-8ed20c4b4d2f")]
    [InlineData("outbound-picker-json.txt", "intercept", true, null, null, "80c823b9-55a4-4104-b304-8239858a0d27")]
    public void Captured_completions_read_as_results(string capture, string application, bool answered, string? disposition, string? cause, string? otherLeg)
    {
        var completion = CapturedCompletion(capture, application);

        var result = application == "bridge" ? EslBridgeResult.FromBridge(completion) : EslBridgeResult.FromIntercept(completion);

        Assert.Equal((answered, disposition, cause, otherLeg), (result.Answered, result.Disposition, result.HangupCause, result.OtherLeg));
    }

    private static EslEvent CapturedCompletion(string capture, string application)
    {
        if (capture.EndsWith("-json.txt", StringComparison.Ordinal))
        {
            // These json captures were anonymised after capture, so their chunk byte counts no longer frame them: the
            // bodies are read line by line (as RealCompletionTests does).
            return File.ReadLines(Transcript.PathOf(capture))
                .Where(line => line.StartsWith("{\"Event-Name\":\"CHANNEL_EXECUTE_COMPLETE\"", StringComparison.Ordinal))
                .Select(line => DecodedEvents.Json(System.Text.Encoding.UTF8.GetBytes(line)))
                .First(e => e.Application == application);
        }
        return FrameFeeding.ParseWhole(Transcript.ReceivedStream(capture))
            .Where(f => f.ContentType == EslContentType.EventPlain)
            .Select(EslEventDecoder.Decode)
            .First(e => e.EventName == "CHANNEL_EXECUTE_COMPLETE" && e.Application == application);
    }
}
