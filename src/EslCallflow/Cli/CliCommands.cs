using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Routing;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;
using System.ComponentModel.DataAnnotations;
using EslCallflow.Delivery;
using EslCallflow.Records;
using Microsoft.Extensions.Configuration;

namespace EslCallflow.Cli;

/// <summary>
/// <c>check [folder] [--allow-empty] [--settings appsettings.json]</c>: validate a configuration and the webhook settings (exit 0 valid, 1 not). One without callflows
/// is reported as an error, as the daemon does not start with it, unless <c>--allow-empty</c> (such a folder
/// can still be loaded into a running daemon with a forced reload).
/// <c>plan &lt;number&gt; [--from &lt;device&gt;] [--config folder] [--seed n] [--http url]</c>: print what a call would do
/// (for a pickup code, against the running daemon's ringing calls when one answers at <c>--http</c>).
/// Neither throws: whatever goes wrong is a message and exit code 1.
/// </summary>
public static class CliCommands
{
    public static bool IsCommand(string verb) => verb is "check" or "plan";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            return RunCommand(args, output, error);
        }
        catch (Exception ex)
        {
            error.WriteLine($"{args[0]} failed: {ex.GetType().Name}: {ex.Message} (this is a bug, please report it)");
            return 1;
        }
    }

    private static int RunCommand(string[] args, TextWriter output, TextWriter error)
    {
        var positional = args.Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        var folder = Option(args, "--config") ?? (args[0] == "check" && positional is not null ? positional : Path.Combine(AppContext.BaseDirectory, "config"));
        var result = ConfigurationLoader.LoadFolder(folder);
        if (!result.IsValid)
        {
            error.WriteLine($"{folder}: {result.Errors.Count} error(s)");
            foreach (var e in result.Errors)
            {
                error.WriteLine("  " + e);
            }
            WriteIgnored(result, error);
            return 1;
        }
        var config = result.Configuration!;
        if (args[0] == "check")
        {
            var summary = $"{config.Devices.Count} devices, {config.Users.Count} users, {config.Groups.Count} groups, {config.Callflows.Count} callflows";
            if (config.Callflows.Count == 0 && !args.Contains("--allow-empty"))
            {
                error.WriteLine($"{folder}: no callflows ({summary}): the daemon does not start with it, and a running daemon loads it only when forced (POST /reload?force=true); every call would be refused as UNALLOCATED_NUMBER. Pass --allow-empty to accept it here");
                WriteIgnored(result, error);
                return 1;
            }
            output.WriteLine($"{folder}: valid ({summary})");
            WriteIgnored(result, output);
            return CheckCallRecords(Option(args, "--settings"), output, error);
        }

        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
        {
            error.WriteLine("usage: plan <number> [--from <device id | sip user | user@realm>] [--config <folder>] [--seed <n>] [--http <daemon url>] [--busy <device id,...>] [--logged-out <user:id | device:id,...>] [--last-started <device id>]");
            return 1;
        }
        var from = Option(args, "--from");
        var caller = from is null ? null : FindDevice(config, from);
        if (from is not null && caller is null)
        {
            error.WriteLine($"no device '{from}' (give a device id, a SIP username such as 1005, or 1005@realm)");
            return 1;
        }
        var seed = int.TryParse(Option(args, "--seed"), out var s) ? s : 1;
        var plan = CallPlanner.Plan(config, args[1], caller, seed, PlanFacts(config, args));
        if (plan.Callflow is null)
        {
            output.WriteLine($"{args[1]}: no callflow; the call is hung up with UNALLOCATED_NUMBER");
            return 0;
        }
        output.WriteLine($"{args[1]}: callflow {plan.Callflow.Id}, module {plan.Module}, caller {caller?.Id ?? "external"}");
        if (plan.Node?.Parsed is IPickupData)
        {
            var http = Option(args, "--http") ?? Environment.GetEnvironmentVariable("ESLCALLFLOW_Http__Url") ?? "http://127.0.0.1:8088";
            PickupPlanPrinter.Print(config, config.MatchCallflow(args[1])!, caller, LiveChannels(http), http, output);
            return 0;
        }
        if (plan.Node?.Parsed is RingGroupToggleData toggle)
        {
            var member = caller is null ? "none (an external caller is refused)" : RingGroupFacts.MemberKey(caller);
            var isMember = caller is not null && config.Callflows.TryGetValue(toggle.CallflowId, out var toggled) && RingGroupToggleData.IsMember(config, toggled, caller);
            output.WriteLine($"  {toggle.Action.ToString().ToLowerInvariant()} member {member} in the ring group of callflow {toggle.CallflowId}{(isMember ? "" : ": not a member, nothing changes")}");
            output.WriteLine($"  then presence of {args[1]} (lit while logged in) and a tone");
            return 0;
        }
        if (plan.RingGroup is { } ring)
        {
            if (plan.Node?.Parsed?.Rings is { } rings)
            {
                output.WriteLine($"  strategy {rings.StrategyName}{(rings.SkipBusy ? ", skip_busy (devices on an answered call are left out: busy)" : "")}");
                if (rings.CallerIdNamePrefix is not null)
                {
                    output.WriteLine($"  members see the caller id name '{DialString.ShownName(rings, plan.Caller)}' (caller_id_name_prefix '{rings.CallerIdNamePrefix}')");
                }
            }
            foreach (var leg in ring.Legs)
            {
                output.WriteLine($"  ring {leg.Device.Id} ({leg.Endpoint}) delay {leg.Delay}s timeout {leg.Timeout}s{(leg.AlertInfo is null ? "" : $", Alert-Info: {leg.AlertInfo}")}"
                    + (leg.Confirm is { } c ? $", confirm: key {c.Key} within {c.Timeout}s of answering{(c.Prompt is null ? "" : $", prompt {c.Prompt}")} (group_confirm_key, group_confirm_file, group_confirm_timeout)" : ""));
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
                output.WriteLine(ring.NobodyCause == "USER_BUSY"
                    ? "  nobody to ring: continues at once with the 'USER_BUSY' child, else '_'"
                    : "  nobody to ring: continues with the '_' child");
            }
        }
        return 0;
    }

    /// <summary>
    /// The call-record settings (webhooks) as the daemon would read them (<c>appsettings.json</c> beside the binary, or
    /// <c>--settings file</c>, then <c>ESLCALLFLOW_</c> variables), validated as at start. Secrets are never printed.
    /// </summary>
    private static int CheckCallRecords(string? settingsFile, TextWriter output, TextWriter error)
    {
        var file = settingsFile ?? Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(file), optional: settingsFile is null)
            .AddEnvironmentVariables("ESLCALLFLOW_")
            .Build();
        var options = new DeliveryOptions();
        configuration.GetSection(DeliveryOptions.Section).Bind(options);
        var problems = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), problems, validateAllProperties: true);
        if (problems.Count == 0)
        {
            problems.AddRange(options.Validate(new ValidationContext(options)));
        }
        problems.AddRange(WebhookEventNames.Problems(options).Select(p => new ValidationResult(p)));
        if (problems.Count > 0)
        {
            error.WriteLine($"{file}: {problems.Count} error(s) in {DeliveryOptions.Section}");
            foreach (var problem in problems)
            {
                error.WriteLine("  " + problem.ErrorMessage);
            }
            return 1;
        }
        var enabled = options.Webhooks.Where(h => h.Enabled).Select(h => $"{h.Name} ({(h.Events.Count == 0 ? "all events" : string.Join(",", h.Events))})").ToList();
        output.WriteLine($"{file}: webhooks valid: {(enabled.Count == 0 ? "none enabled" : string.Join("; ", enabled))}; FreeSWITCH events {(options.FreeSwitchEvents ? "on" : "off")}");
        return 0;
    }

    /// <summary>A device named by its id, its SIP username (when only one device has it) or <c>username@realm</c>.</summary>
    internal static Device? FindDevice(PbxConfiguration config, string name)
    {
        if (config.Devices.TryGetValue(name, out var byId))
        {
            return byId;
        }
        if (name.Split('@') is [var user, var realm])
        {
            return config.FindDevice(user, realm);
        }
        var byUsername = config.Devices.Values.Where(d => d.SipUsername == name).ToList();
        return byUsername.Count == 1 ? byUsername[0] : null;
    }

    /// <summary>The running daemon's <c>/channels</c>, or null when none answers (plan then shows the scope only).</summary>
    private static string? LiveChannels(string http)
    {
        if (!Uri.TryCreate(http, UriKind.Absolute, out var baseUri))
        {
            return null;
        }
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            // A one-shot command line tool: the synchronous Send is the plain way to ask once.
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/channels"));
            using var response = client.Send(request);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            using var reader = new StreamReader(response.Content.ReadAsStream());
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }

    private static void WriteIgnored(LoadResult result, TextWriter writer)
    {
        foreach (var entry in result.Ignored)
        {
            writer.WriteLine("  ignored " + entry);
        }
    }

    /// <summary>
    /// What the daemon would know at call time, given on the command line: devices on a call (<c>--busy</c>), members
    /// logged out (<c>--logged-out</c>), where round_robin started last (<c>--last-started</c>).
    /// </summary>
    private static RingGroupFacts PlanFacts(PbxConfiguration config, string[] args)
    {
        static HashSet<string> List(string? value) =>
            value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var busy = List(Option(args, "--busy")).SelectMany(id => config.Devices.TryGetValue(id, out var d) ? DeviceKey.Of(d) : []).ToHashSet(StringComparer.Ordinal);
        return new RingGroupFacts(busy, List(Option(args, "--logged-out")), Option(args, "--last-started"), new Dictionary<string, long>());
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
