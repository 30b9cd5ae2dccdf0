using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Routing;

namespace EslCallflow.Cli;

/// <summary>
/// <c>check [folder]</c>: validate a configuration (exit 0 valid, 1 not).
/// <c>plan &lt;number&gt; [--from &lt;device id&gt;] [--config folder] [--seed n]</c>: print what a call would do.
/// </summary>
public static class CliCommands
{
    public static bool IsCommand(string verb) => verb is "check" or "plan";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var folder = Option(args, "--config") ?? (args[0] == "check" && args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : Path.Combine(AppContext.BaseDirectory, "config"));
        var result = ConfigurationLoader.LoadFolder(folder);
        if (!result.IsValid)
        {
            error.WriteLine($"{folder}: {result.Errors.Count} error(s)");
            foreach (var e in result.Errors)
            {
                error.WriteLine("  " + e);
            }
            return 1;
        }
        var config = result.Configuration!;
        if (args[0] == "check")
        {
            output.WriteLine($"{folder}: valid ({config.Devices.Count} devices, {config.Users.Count} users, {config.Groups.Count} groups, {config.Callflows.Count} callflows)");
            return 0;
        }

        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
        {
            error.WriteLine("usage: plan <number> [--from <device id>] [--config <folder>] [--seed <n>]");
            return 1;
        }
        var from = Option(args, "--from");
        if (from is not null && !config.Devices.ContainsKey(from))
        {
            error.WriteLine($"no device '{from}'");
            return 1;
        }
        var seed = int.TryParse(Option(args, "--seed"), out var s) ? s : 1;
        var plan = CallPlanner.Plan(config, args[1], from is null ? null : config.Devices[from], seed);
        if (plan.Callflow is null)
        {
            output.WriteLine($"{args[1]}: no callflow; the call is hung up with UNALLOCATED_NUMBER");
            return 0;
        }
        output.WriteLine($"{args[1]}: callflow {plan.Callflow.Id}, module {plan.Module}, caller {from ?? "external"}");
        if (plan.RingGroup is { } ring)
        {
            foreach (var leg in ring.Legs)
            {
                output.WriteLine($"  ring {leg.Device.Id} ({leg.Endpoint}) delay {leg.Delay}s timeout {leg.Timeout}s{(leg.AlertInfo is null ? "" : $", Alert-Info: {leg.AlertInfo}")}");
            }
            foreach (var excluded in ring.Excluded)
            {
                output.WriteLine($"  not rung {excluded.DeviceId}: {excluded.Reason}");
            }
            foreach (var command in ring.Commands)
            {
                output.WriteLine($"  execute {command}");
            }
            if (!ring.HasLegs)
            {
                output.WriteLine("  nobody to ring: continues with the '_' child");
            }
        }
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
