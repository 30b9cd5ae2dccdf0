using System.Diagnostics;

namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>
/// One monotonic time base for everything the suite records (datagrams sent and received, log marks), so
/// times taken by different phones can be subtracted. Values are offsets from the first use in this process.
/// </summary>
public static class SipClock
{
    private static readonly long Origin = Stopwatch.GetTimestamp();

    public static TimeSpan Now => Stopwatch.GetElapsedTime(Origin);

    public static TimeSpan At(long timestamp) => Stopwatch.GetElapsedTime(Origin, timestamp);
}
