using System.Globalization;
using System.Text.RegularExpressions;
using EslCallflow.RealSwitch.Tests.Sip;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>One test's view of the suite: its phones, its window of the logs, its cancellation, and where it reports figures.</summary>
public sealed partial class Scene
{
    private readonly RealSwitch _fixture;

    internal Scene(RealSwitch fixture, ITestOutputHelper output, CancellationToken cancellation)
    {
        _fixture = fixture;
        Output = output;
        Cancellation = cancellation;
        StartedAt = SipClock.Now;
        DaemonMark = fixture.Daemon.Log.Mark();
        SwitchMark = fixture.Switch.Log.Mark();
    }

    public ITestOutputHelper Output { get; }
    public CancellationToken Cancellation { get; }
    public TimeSpan StartedAt { get; }
    public long DaemonMark { get; }
    public long SwitchMark { get; }
    public FreeSwitchInstance Switch => _fixture.Switch;
    public DaemonInstance Daemon => _fixture.Daemon;
    public RealSwitch Fixture => _fixture;

    public SipPhone Phone(string user) => _fixture.Phone(user);

    /// <summary>A figure the test measured: written to the test output whether the test passes or not.</summary>
    public void Report(string figure) => Output.WriteLine(figure);

    public Task<PrometheusText> MetricsAsync() => Daemon.MetricsAsync(Cancellation);

    /// <summary>The daemon's log lines written since this test started.</summary>
    public IReadOnlyList<string> DaemonLines() => Daemon.Log.LinesFrom(DaemonMark);

    public IReadOnlyList<string> SwitchLines() => Switch.Log.LinesFrom(SwitchMark);

    /// <summary>Waits for a daemon log line of this test's window that contains every one of <paramref name="parts"/>.</summary>
    public async Task<string> DaemonLineAsync(TimeSpan timeout, params string[] parts)
    {
        var deadline = SipClock.Now + timeout;
        while (true)
        {
            var line = DaemonLines().FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            if (line is not null)
            {
                return line;
            }
            if (SipClock.Now > deadline)
            {
                throw new TimeoutException($"no daemon log line with {string.Join(" and ", parts.Select(p => $"'{p}'"))} within {timeout.TotalSeconds:F1} s");
            }
            await Task.Delay(20, Cancellation);
        }
    }

    /// <summary>Waits for a FreeSWITCH log line of this test's window that contains every one of <paramref name="parts"/>.</summary>
    public async Task<string> SwitchLineAsync(TimeSpan timeout, params string[] parts)
    {
        var deadline = SipClock.Now + timeout;
        while (true)
        {
            var line = SwitchLines().FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            if (line is not null)
            {
                return line;
            }
            if (SipClock.Now > deadline)
            {
                throw new TimeoutException($"no FreeSWITCH log line with {string.Join(" and ", parts.Select(p => $"'{p}'"))} within {timeout.TotalSeconds:F1} s");
            }
            await Task.Delay(20, Cancellation);
        }
    }

    /// <summary>A line the daemon wrote about call <paramref name="uuid"/> (its "Call uuid..." lines, not others naming it as a leg).</summary>
    public static bool IsAbout(string line, string uuid) =>
        line.Contains("Call " + uuid, StringComparison.Ordinal) || line.Contains($"Call \"{uuid}\"", StringComparison.Ordinal);

    /// <summary>Waits for a daemon line about call <paramref name="uuid"/> that contains every one of <paramref name="parts"/>.</summary>
    public async Task<string> CallLineAsync(string uuid, TimeSpan timeout, params string[] parts)
    {
        var deadline = SipClock.Now + timeout;
        while (true)
        {
            var line = DaemonLines().FirstOrDefault(l => IsAbout(l, uuid) && parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            if (line is not null)
            {
                return line;
            }
            if (SipClock.Now > deadline)
            {
                throw new TimeoutException($"no daemon log line about call {uuid} with {string.Join(" and ", parts.Select(p => $"'{p}'"))} within {timeout.TotalSeconds:F1} s");
            }
            await Task.Delay(20, Cancellation);
        }
    }

    [GeneratedRegex(@"Call (\S+) to (\S+): callflow (\S+), caller (\S+)")]
    private static partial Regex CallStarted();

    /// <summary>The channel UUIDs of the calls the daemon started on <paramref name="number"/> in this test, in order.</summary>
    public IReadOnlyList<string> DaemonCalls(string number) =>
        DaemonLines().Select(l => CallStarted().Match(l)).Where(m => m.Success && m.Groups[2].Value.Trim('"') == number).Select(m => m.Groups[1].Value.Trim('"', ':')).ToList();

    /// <summary>Waits for the daemon to take a call to <paramref name="number"/> and returns its UUID.</summary>
    public async Task<string> DaemonCallAsync(string number, int index = 0, TimeSpan? timeout = null)
    {
        var deadline = SipClock.Now + (timeout ?? TimeSpan.FromSeconds(5));
        while (DaemonCalls(number).Count <= index)
        {
            if (SipClock.Now > deadline)
            {
                throw new TimeoutException($"the daemon logged no call #{index + 1} to {number}");
            }
            await Task.Delay(20, Cancellation);
        }
        return DaemonCalls(number)[index];
    }

    public static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);

    public static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture);
}
