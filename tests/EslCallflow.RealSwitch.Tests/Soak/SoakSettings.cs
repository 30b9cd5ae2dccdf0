using System.Globalization;

namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// How long the soak runs and at what rate, and when its faults and memory samples fall: fixed shares of the run,
/// so that a short run has the same shape as the 30-minute one (5, 15 and 30 minutes for the samples).
/// </summary>
public sealed record SoakSettings(TimeSpan Length, double CallsPerSecond)
{
    public const string MinutesVariable = "ESLCALLFLOW_SOAK_MINUTES";
    public const string RateVariable = "ESLCALLFLOW_SOAK_RATE";
    public const double DefaultRate = 5;

    /// <summary>The settings the environment asks for, or null when no soak is asked for.</summary>
    public static SoakSettings? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(MinutesVariable) is not { Length: > 0 } minutes)
        {
            return null;
        }
        if (!double.TryParse(minutes, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) || m < 2)
        {
            throw new InvalidOperationException($"{MinutesVariable}={minutes}: a number of minutes, 2 or more");
        }
        var rate = DefaultRate;
        if (Environment.GetEnvironmentVariable(RateVariable) is { Length: > 0 } text
            && (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || rate <= 0 || rate > 50))
        {
            throw new InvalidOperationException($"{RateVariable}={text}: calls per second, above 0 and at most 50");
        }
        return new SoakSettings(TimeSpan.FromMinutes(m), rate);
    }

    /// <summary>
    /// The daemon is killed early, so that the memory samples all read the process started after it and the run
    /// goes on long enough after it to warm up (90 s into a 30-minute run).
    /// </summary>
    public TimeSpan DaemonKillAt => Length * 0.05;

    /// <summary>FreeSWITCH is restarted between the second and the last memory sample (18 minutes into 30), so the last one reads a daemon that lived through it.</summary>
    public TimeSpan SwitchRestartAt => Length * 0.6;

    /// <summary>5, 15 and 30 minutes of a 30-minute run: the first after warm-up, the others compared with it.</summary>
    public IReadOnlyList<TimeSpan> MemorySamplesAt => [Length / 6, Length / 2, Length];
}
