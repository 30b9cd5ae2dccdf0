using System.Globalization;

namespace EslCallflow.RealSwitch.Tests.Switch;

public static class ProcessCpu
{
    /// <summary>User plus system CPU of a process and all its threads, from /proc/&lt;pid&gt;/stat (fields 14 and 15), in 10 ms ticks.</summary>
    public static double Seconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name, which is in parentheses and may hold spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }
}
