namespace EslCallflow.RealSwitch.Tests.Soak;

/// <summary>
/// The soak on the real switch: it runs only when ESLCALLFLOW_FREESWITCH names a FreeSWITCH binary and
/// ESLCALLFLOW_SOAK_MINUTES says how long (it takes that long), and says why it skipped otherwise.
/// </summary>
public sealed class SoakFactAttribute : FactAttribute
{
    public SoakFactAttribute()
    {
        if (RealSwitch.Binary is null)
        {
            Skip = $"needs a FreeSWITCH 1.10 binary; set {RealSwitch.Variable} to its path to run it (see README, Real-switch tests)";
        }
        else if (SoakSettings.FromEnvironment() is null)
        {
            Skip = $"a soak of {SoakSettings.MinutesVariable} minutes (30 for the figures in BENCHMARKS.md); set it to run it (see README, Real-switch tests)";
        }
    }
}
