using EslCallflow.Cli;

namespace EslCallflow.Tests;

public class CliTests
{
    [Fact]
    public void Check_accepts_the_bundled_configuration()
    {
        var output = new StringWriter();

        var exit = CliCommands.Run(["check", RunningDaemon.BundledConfig], output, new StringWriter());

        Assert.Equal(0, exit);
        Assert.Contains("valid (6 devices, 5 users, 1 groups, 6 callflows)", output.ToString());
    }

    [Fact]
    public void Check_rejects_a_broken_configuration_with_exit_1_and_the_errors()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-cli").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "devices"));
        File.WriteAllText(Path.Combine(folder, "devices", "d.json"), """{ "id": "d1", "sip": { "username": "10 01", "realm": "r" } }""");
        var errors = new StringWriter();

        var exit = CliCommands.Run(["check", folder], new StringWriter(), errors);

        Assert.Equal(1, exit);
        Assert.Contains("devices/d.json: document 'd1' $.sip.username: '10 01' is not a valid SIP username", errors.ToString());
    }

    [Theory]
    [MemberData(nameof(ConfigurationReloadTests.HostileEdits), MemberType = typeof(ConfigurationReloadTests))]
    public async Task Check_reports_a_hostile_configuration_with_exit_1_and_never_throws_or_hangs(string edit, string reason)
    {
        var folder = RunningDaemon.ConfigWith();
        ConfigurationReloadTests.Apply(edit, folder);
        var errors = new StringWriter();

        var exit = await Task.Run(() => CliCommands.Run(["check", folder], new StringWriter(), errors)).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, exit);
        var lines = errors.ToString().Split('\n');
        Assert.Equal($"{folder}: 1 error(s)", lines[0]);
        Assert.StartsWith("  callflows/bad.json: ", lines[1], StringComparison.Ordinal);
        Assert.Contains(reason, lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Check_refuses_a_configuration_without_callflows_unless_allowed()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-cli-empty").FullName;
        var errors = new StringWriter();
        var output = new StringWriter();

        Assert.Equal(1, CliCommands.Run(["check", folder], new StringWriter(), errors));
        Assert.StartsWith($"{folder}: no callflows (0 devices, 0 users, 0 groups, 0 callflows): the daemon does not start with it", errors.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, CliCommands.Run(["check", "--allow-empty", folder], output, new StringWriter()));
        // The first line is the documents'; the webhook settings' line follows.
        Assert.Equal($"{folder}: valid (0 devices, 0 users, 0 groups, 0 callflows)", output.ToString().Split('\n')[0].Trim());
    }

    [Fact]
    public void Check_lists_what_it_did_not_read()
    {
        var folder = RunningDaemon.ConfigWith();
        Directory.CreateDirectory(Path.Combine(folder, "callflows", "archive"));
        File.WriteAllText(Path.Combine(folder, "callflows", "archive", "old.json"), "{}");
        var output = new StringWriter();

        Assert.Equal(0, CliCommands.Run(["check", folder], output, new StringWriter()));

        Assert.Contains("  ignored callflows/archive/: a subfolder (only files directly in callflows/ are read)", output.ToString().Split('\n').Select(l => l.TrimEnd()));
    }

    [Fact]
    public void Plan_prints_legs_exclusions_and_the_exact_commands()
    {
        var output = new StringWriter();

        var exit = CliCommands.Run(["plan", "7000", "--from", "dev1001", "--config", RunningDaemon.BundledConfig], output, new StringWriter());

        var text = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("7000: callflow sales-ring-group, module ring_group, caller dev1001", text);
        Assert.Contains("not rung dev1001: is the calling device", text);
        Assert.Contains("not rung dev1002: belongs to the caller's user 'alice'", text);
        Assert.Contains("  ring dev1003 (user/1003@127.0.0.1) delay 0s timeout 20s", text);
        Assert.Contains("  execute bridge {call_timeout=21,", text);
    }

    [Theory]
    [InlineData("dev1005")]
    [InlineData("1005")]
    [InlineData("1005@127.0.0.1")]
    public void Plan_names_the_caller_by_device_id_sip_username_or_sip_identity(string from)
    {
        var output = new StringWriter();

        var exit = CliCommands.Run(["plan", "7000", "--from", from, "--config", RunningDaemon.BundledConfig], output, new StringWriter());

        Assert.Equal(0, exit);
        Assert.Contains("7000: callflow sales-ring-group, module ring_group, caller dev1005", output.ToString());
    }

    [Fact]
    public void Plan_shows_the_exact_alert_info_header_each_phone_gets()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-cli").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "devices"));
        Directory.CreateDirectory(Path.Combine(folder, "callflows"));
        File.WriteAllText(Path.Combine(folder, "devices", "d.json"), """
            [
              { "id": "d1", "sip": { "username": "1001", "realm": "r" }, "ringtones": { "external": "Bellcore-dr2" } },
              { "id": "d2", "sip": { "username": "1002", "realm": "r" }, "ringtones": { "external": "info=ring-2" } },
              { "id": "d3", "sip": { "username": "1003", "realm": "r" }, "ringtones": { "external": "http://pbx/ring.wav" } },
              { "id": "d4", "sip": { "username": "1004", "realm": "r" }, "ringtones": { "external": "<http://pbx/r.wav>;info=vip" } }
            ]
            """);
        File.WriteAllText(Path.Combine(folder, "callflows", "c.json"), """
            { "id": "rg", "numbers": ["7000"], "flow": { "module": "ring_group", "data": { "endpoints": [
              { "id": "d1", "endpoint_type": "device" }, { "id": "d2", "endpoint_type": "device" },
              { "id": "d3", "endpoint_type": "device" }, { "id": "d4", "endpoint_type": "device" } ] } } }
            """);
        var output = new StringWriter();

        var exit = CliCommands.Run(["plan", "7000", "--config", folder], output, new StringWriter());

        var text = output.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("  ring d1 (user/1001@r) delay 0s timeout 20s, Alert-Info: <http://127.0.0.1>;info=Bellcore-dr2\n", text.ReplaceLineEndings("\n"));
        Assert.Contains("  ring d2 (user/1002@r) delay 0s timeout 20s, Alert-Info: <http://127.0.0.1>;info=ring-2\n", text.ReplaceLineEndings("\n"));
        Assert.Contains("  ring d3 (user/1003@r) delay 0s timeout 20s, Alert-Info: <http://pbx/ring.wav>\n", text.ReplaceLineEndings("\n"));
        Assert.Contains("  ring d4 (user/1004@r) delay 0s timeout 20s, Alert-Info: <http://pbx/r.wav>;info=vip\n", text.ReplaceLineEndings("\n"));
        Assert.Contains("sip_h_Alert-Info=<http://127.0.0.1>;info=Bellcore-dr2", text);
    }

    [Fact]
    public void Plan_for_an_unknown_number_says_it_is_unallocated()
    {
        var output = new StringWriter();

        CliCommands.Run(["plan", "4242", "--config", RunningDaemon.BundledConfig], output, new StringWriter());

        Assert.Contains("4242: no callflow; the call is hung up with UNALLOCATED_NUMBER", output.ToString());
    }
}
