using System.Diagnostics;
using System.Globalization;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// Calls per second on the real switch, reported (not asserted): answered calls held a moment and hung up, at rising
/// rates, through the daemon (7301, a ring group of 1001) and through the native dialplan (1001), the two paths
/// alternating at each rate. Each step counts the calls that failed (not answered within 5 s, or refused) and the CPU
/// FreeSWITCH and the daemon spent. The phones are this suite's own user agents, in the test process, on the same
/// cores as the switch and the daemon. BENCHMARKS.md keeps the figures.
/// </summary>
[Collection(RealSwitchCollection.Name)]
public sealed class CallRateTests(RealSwitch fixture, ITestOutputHelper output)
{
    private static readonly int[] Rates = [10, 20, 25, 30, 35, 40, 50];
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    [RealSwitchFact]
    public Task Calls_per_second_through_the_daemon_and_through_the_native_dialplan() => fixture.RunAsync(output, async s =>
    {
        s.Phone("1001").Behaviour = PhoneBehaviour.AnswersAfter(TimeSpan.Zero);
        var switchPid = s.Switch.ProcessId ?? throw new InvalidOperationException("FreeSWITCH is not running");
        var daemonPid = s.Daemon.ProcessId ?? throw new InvalidOperationException("the daemon is not running");
        // FreeSWITCH refuses sessions beyond sessions-per-second (30 by default: "Throttle Error!",
        // switch_core_session.c switch_core_session_request_uuid) and each call here is two sessions; the load is
        // what is measured, not that default.
        await s.Switch.ApiAsync("fsctl sps 1000", s.Cancellation);
        try
        {
            await RunStepAsync(s, "7301", 10, TimeSpan.FromSeconds(10), switchPid, daemonPid);
            await RunStepAsync(s, "1001", 10, TimeSpan.FromSeconds(10), switchPid, daemonPid);
            var results = new List<StepResult>();
            foreach (var rate in Rates)
            {
                foreach (var number in new[] { "7301", "1001" })
                {
                    var result = await RunStepAsync(s, number, rate, Step, switchPid, daemonPid);
                    results.Add(result);
                    s.Report(result.ToString());
                }
                if (results.TakeLast(2).All(r => r.Failed * 20 > r.Attempted))
                {
                    break;
                }
            }

            s.Report($"calls per second, {Step.TotalSeconds:F0} s per step, each call answered at once and held {Hold.TotalSeconds:F0} s:");
            s.Report("  path    rate  calls  failed  answer p50/p99 ms  FreeSWITCH ms/call  daemon ms/call  daemon/FreeSWITCH");
            foreach (var r in results)
            {
                s.Report("  " + r.Row());
            }
            foreach (var number in new[] { "7301", "1001" })
            {
                var clean = results.Where(r => r.Number == number && r.Failed == 0).Select(r => r.Rate).DefaultIfEmpty(0).Max();
                s.Report($"  highest rate with no failed call, {(number == "7301" ? "through the daemon" : "native")}: {clean} calls/s");
            }
            Assert.All(results, r => Assert.Equal(r.Attempted, r.Answered + r.Failed));
        }
        finally
        {
            await s.Switch.ApiAsync("fsctl sps 30", CancellationToken.None);
        }
    }, TimeSpan.FromMinutes(15));

    private static async Task<StepResult> RunStepAsync(Scene s, string number, int rate, TimeSpan length, int switchPid, int daemonPid)
    {
        var (switchBefore, daemonBefore) = (ProcessCpu.Seconds(switchPid), ProcessCpu.Seconds(daemonPid));
        var calls = new List<Task<CallResult>>();
        var total = (int)(rate * length.TotalSeconds);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, s.Cancellation);
            }
            calls.Add(CallAsync(s.Phone("1005"), number, s.Cancellation));
        }
        var results = await Task.WhenAll(calls);
        // The last calls' teardown (BYEs, CHANNEL_DESTROY) is part of their cost.
        await Task.Delay(500, s.Cancellation);
        var (switchAfter, daemonAfter) = (ProcessCpu.Seconds(switchPid), ProcessCpu.Seconds(daemonPid));
        await s.Switch.HangUpAllAsync(TimeSpan.FromSeconds(10), s.Cancellation);
        return new StepResult(number, rate, results, switchAfter - switchBefore, daemonAfter - daemonBefore);
    }

    private static async Task<CallResult> CallAsync(SipPhone phone, string number, CancellationToken cancellationToken)
    {
        var call = phone.Dial(number);
        try
        {
            await call.AnsweredAsync(AnswerTimeout);
            var answeredIn = (call.AnsweredAt!.Value - call.InviteSentAt).TotalMilliseconds;
            await Task.Delay(Hold, cancellationToken);
            await call.HangUpAsync(cancellationToken);
            return new CallResult(answeredIn, null);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            return new CallResult(null, call.Final?.ToString() ?? ex.Message);
        }
    }

    private sealed record CallResult(double? AnsweredInMs, string? Failure);

    private sealed record StepResult(string Number, int Rate, CallResult[] Calls, double SwitchSeconds, double DaemonSeconds)
    {
        public int Attempted => Calls.Length;
        public int Answered => Calls.Count(c => c.AnsweredInMs is not null);
        public int Failed => Calls.Count(c => c.Failure is not null);

        private double Percentile(double p)
        {
            var sorted = Calls.Where(c => c.AnsweredInMs is not null).Select(c => c.AnsweredInMs!.Value).Order().ToList();
            return sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p / 100 * sorted.Count))];
        }

        private string PerCall(double seconds) => (seconds * 1000 / Math.Max(1, Answered)).ToString("F1", CultureInfo.InvariantCulture);

        public string Row() =>
            $"{Number,-6}  {Rate,4}  {Attempted,5}  {Failed,6}  {Percentile(50),8:F0}/{Percentile(99),-8:F0}  {PerCall(SwitchSeconds),18}  {PerCall(DaemonSeconds),14}  {DaemonSeconds / SwitchSeconds,17:P1}";

        public override string ToString() =>
            $"{Number} at {Rate}/s: {Answered}/{Attempted} answered, {Failed} failed"
            + (Failed > 0 ? " (" + string.Join("; ", Calls.Where(c => c.Failure is not null).GroupBy(c => c.Failure).Select(g => $"{g.Count()}× {g.Key}").Take(3)) + ")" : string.Empty);
    }
}
