using System.Diagnostics;

namespace EslCallflow.Tests;

/// <summary>deploy/: the systemd unit, the Dockerfile and the compose file, and the health verb they use.</summary>
public class DeploymentTests
{
    private static readonly string Unit = File.ReadAllText(RepositoryFiles.PathOf("deploy/eslcallflow.service"));
    private static readonly string Dockerfile = File.ReadAllText(RepositoryFiles.PathOf("deploy/Dockerfile"));

    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, (output.Result + error.Result).Trim());
    }

    /// <summary>
    /// systemd-analyze verify also checks that ExecStart/ExecReload binaries exist, which they do only once
    /// installed; the copy verified here points those two paths at stand-ins and is otherwise the file itself.
    /// </summary>
    [NeedsToolFact("systemd-analyze")]
    public void The_systemd_unit_verifies_clean()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-unit").FullName;
        foreach (var stub in new[] { "EslCallflow", "kill" })
        {
            File.Copy("/bin/true", Path.Combine(folder, stub));
        }
        var copy = Path.Combine(folder, "eslcallflow.service");
        File.WriteAllText(copy, Unit.Replace("/usr/lib/eslcallflow/EslCallflow ", $"{folder}/EslCallflow ", StringComparison.Ordinal).Replace("/bin/kill ", $"{folder}/kill ", StringComparison.Ordinal));

        var (exitCode, output) = Run(RepositoryFiles.FindTool("systemd-analyze")!, "verify", copy);

        Assert.Equal((0, ""), (exitCode, output));
    }

    [Theory]
    [InlineData("Type=notify")]
    [InlineData("User=eslcallflow")]
    [InlineData("Restart=on-failure")]
    [InlineData("RestartPreventExitStatus=2")]
    [InlineData("EnvironmentFile=-/etc/eslcallflow/eslcallflow.env")]
    [InlineData("ExecStart=/usr/lib/eslcallflow/EslCallflow --EslCallflow:ConfigurationPath=/etc/eslcallflow/config")]
    [InlineData("ExecReload=/bin/kill -HUP $MAINPID")]
    [InlineData("NoNewPrivileges=yes")]
    [InlineData("ProtectSystem=strict")]
    [InlineData("PrivateTmp=yes")]
    [InlineData("CapabilityBoundingSet=")]
    public void The_unit_runs_as_an_unprivileged_hardened_notify_service(string line)
    {
        Assert.Contains(line, Unit.Split('\n'));
    }

    [Fact]
    public void The_unit_gives_the_longest_allowed_drain_and_the_hosts_shutdown_time_before_systemd_kills_it()
    {
        var stop = TimeSpan.FromSeconds(int.Parse(Unit.Split('\n').Single(l => l.StartsWith("TimeoutStopSec=", StringComparison.Ordinal))["TimeoutStopSec=".Length..].TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture));
        var longestDrain = TimeSpan.Parse(DaemonOptions.MaxDrainTimeout, System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(stop > longestDrain + DaemonOptions.ShutdownMargin, $"TimeoutStopSec {stop} must exceed the longest drain ({longestDrain}) plus the host's margin");
    }

    [Fact]
    public void The_image_is_multi_stage_runs_as_non_root_and_checks_its_health()
    {
        var lines = Dockerfile.Split('\n');

        Assert.Equal(2, lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal) && l.EndsWith(" AS build", StringComparison.Ordinal));
        Assert.Contains("USER eslcallflow:eslcallflow", lines);
        Assert.Contains("HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD [\"/app/EslCallflow\", \"health\"]", lines);
        Assert.DoesNotContain("Password=", Dockerfile, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Compose_runs_the_switch_from_a_variable_image_with_freeswitch_conf_beside_the_daemon()
    {
        var compose = File.ReadAllText(RepositoryFiles.PathOf("deploy/docker-compose.yml"));

        Assert.Contains("image: ${FREESWITCH_IMAGE:-", compose, StringComparison.Ordinal);
        Assert.Contains("- ../freeswitch-conf:/etc/freeswitch:ro", compose, StringComparison.Ordinal);
        Assert.Contains("dockerfile: deploy/Dockerfile", compose, StringComparison.Ordinal);
        Assert.Contains("ESLCALLFLOW_Esl__Inbound__Password: ${ESLCALLFLOW_ESL_PASSWORD", compose, StringComparison.Ordinal);
    }

    [OptInFact("ESLCALLFLOW_DOCKER_TESTS", "a running Docker daemon")]
    public void The_image_builds()
    {
        var (exitCode, output) = Run("docker", "build", "-f", RepositoryFiles.PathOf("deploy/Dockerfile"), "-t", "eslcallflow:test", RepositoryFiles.Root);

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task The_health_verb_exits_0_for_a_healthy_daemon_and_1_when_nothing_answers()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var output = new StringWriter();

        Assert.Equal(0, await Cli.HealthCommand.RunAsync(["health", daemon.Http.ToString()], output, TextWriter.Null));
        Assert.Contains("\"status\":\"ok\"", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, await Cli.HealthCommand.RunAsync(["health", "http://127.0.0.1:1"], TextWriter.Null, TextWriter.Null));
    }
}
