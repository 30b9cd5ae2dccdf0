namespace EslCallflow.Testing;

/// <summary>
/// What FreeSWITCH's bridge does for a call that runs the daemon's dialplan (<see cref="FakeDialplanCall"/>), as the
/// real switch showed it: an answered bridge fires the caller's CHANNEL_ANSWER and CHANNEL_BRIDGE (the caller as leg
/// A) and, once over, hangup_after_bridge ends the caller (CHANNEL_UNBRIDGE first); a caller hanging up mid-
/// conversation fires its CHANNEL_HANGUP before the CHANNEL_UNBRIDGE; a failed bridge leaves
/// <c>originate_disposition</c> and the cause on the caller and returns.
/// </summary>
public static class DialplanBridges
{
    /// <summary>A phone answers at once on leg <paramref name="bLeg"/>; the conversation lasts until <paramref name="conversation"/>.</summary>
    public static Func<FakeDialplanCall, FakeExecution, Task> Answered(string bLeg = "b-leg-uuid", Task? conversation = null, bool callerHangsUp = false) => async (call, execution) =>
    {
        if (execution.Application != "bridge")
        {
            return;
        }
        await call.AnswerAsync();
        call.SetVariable("bridge_uuid", bLeg);
        var bridge = call.Event("CHANNEL_BRIDGE", new Dictionary<string, string>
        {
            ["Answer-State"] = "answered",
            ["Other-Leg-Unique-ID"] = bLeg,
            ["Bridge-A-Unique-ID"] = call.Uuid,
            ["Bridge-B-Unique-ID"] = bLeg,
        });
        await call.PublishAsync(bridge);
        await (conversation ?? Task.CompletedTask);
        var unbridge = new Dictionary<string, string>(bridge) { ["Event-Name"] = "CHANNEL_UNBRIDGE" };
        call.SetVariable("originate_disposition", "SUCCESS");
        call.SetVariable("last_bridge_hangup_cause", "NORMAL_CLEARING");
        if (callerHangsUp)
        {
            await call.CallerHangsUpAsync(() => call.PublishAsync(unbridge));
            return;
        }
        await call.PublishAsync(unbridge);
    };

    /// <summary>Nobody answers: the bridge returns with <paramref name="cause"/>.</summary>
    public static Func<FakeDialplanCall, FakeExecution, Task> Fails(string cause) => (call, execution) =>
    {
        if (execution.Application == "bridge")
        {
            call.SetVariable("originate_disposition", cause);
            call.SetVariable("originate_failed_cause", cause);
            call.SetVariable("DIALSTATUS", cause);
        }
        return Task.CompletedTask;
    };

    /// <summary>The bridge rings until the caller hangs up.</summary>
    public static Func<FakeDialplanCall, FakeExecution, Task> RingsForever => async (call, execution) =>
    {
        if (execution.Application == "bridge")
        {
            await Task.Delay(Timeout.Infinite, call.HungUp).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    };

}
