using System.Diagnostics;
using System.Globalization;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>
/// An optional profiler around one burst of <see cref="CpuPerCallTests"/>, so that a profile holds one path's calls
/// only. ESLCALLFLOW_PROFILE_BURSTS is a command run through sh with {switch}, {daemon} (process ids) and {out} (a file
/// named after the path and round, in ESLCALLFLOW_PROFILE_FOLDER or /tmp) replaced, for example
/// <c>strace -c -f -p {switch} -o {out}</c> or <c>perf record -g -p {switch} -o {out}</c>; it gets SIGINT when the
/// burst ends. Unset, nothing runs.
/// </summary>
internal sealed class BurstProfiler : IAsyncDisposable
{
    public const string Variable = "ESLCALLFLOW_PROFILE_BURSTS";
    private readonly Process? _process;

    private BurstProfiler(Process? process) => _process = process;

    public static async Task<BurstProfiler> StartAsync(string number, int round, int switchPid, int daemonPid, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } template)
        {
            return new BurstProfiler(null);
        }
        var folder = Environment.GetEnvironmentVariable("ESLCALLFLOW_PROFILE_FOLDER") is { Length: > 0 } f ? f : Path.GetTempPath();
        var command = template
            .Replace("{switch}", switchPid.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{daemon}", daemonPid.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{out}", Path.Combine(folder, $"profile-{number}-{round}"), StringComparison.Ordinal);
        var start = new ProcessStartInfo("sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        // exec: the profiler itself gets the signal, not a shell around it.
        start.ArgumentList.Add("exec " + command);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{Variable}: could not start {command}");
        // Profilers take a moment to attach; calls before that would not be in the profile.
        await Task.Delay(500, cancellationToken);
        return new BurstProfiler(process);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        _process.Dispose();
    }
}
