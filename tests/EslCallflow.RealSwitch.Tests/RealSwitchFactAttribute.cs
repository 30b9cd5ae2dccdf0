[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace EslCallflow.RealSwitch.Tests;

/// <summary>A test on the real switch: it runs only when ESLCALLFLOW_FREESWITCH names a FreeSWITCH binary, and says why it skipped otherwise.</summary>
public sealed class RealSwitchFactAttribute : FactAttribute
{
    public RealSwitchFactAttribute()
    {
        if (RealSwitch.Binary is null)
        {
            Skip = $"needs a FreeSWITCH 1.10 binary; set {RealSwitch.Variable} to its path to run it (see README, Real-switch tests)";
        }
    }
}

/// <summary>A data-driven test on the real switch; skipped, saying why, without ESLCALLFLOW_FREESWITCH.</summary>
public sealed class RealSwitchTheoryAttribute : TheoryAttribute
{
    public RealSwitchTheoryAttribute()
    {
        if (RealSwitch.Binary is null)
        {
            Skip = $"needs a FreeSWITCH 1.10 binary; set {RealSwitch.Variable} to its path to run it (see README, Real-switch tests)";
        }
    }
}
