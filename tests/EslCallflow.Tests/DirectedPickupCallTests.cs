using EslCallflow.Cli;

namespace EslCallflow.Tests;

/// <summary>
/// The bundled <c>*7</c> + extension (group_pickup_feature, type extension, anyone may pick up) through the real
/// host, with the switch simulated as on the real 1.10.12 (SimulatedSwitch).
/// </summary>
public class DirectedPickupCallTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Star7_and_an_extension_picks_up_the_call_ringing_there_not_an_older_one_elsewhere()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("older-elsewhere", "1003", ringingSinceMicros: 1_795_421_030_000_000);
        await fs.RingPlainAsync("ringing-on-1001", "1001", ringingSinceMicros: 1_795_421_040_000_000);
        await daemon.WaitForRingingAsync(2);

        await using var picker = await daemon.CallAsync("*71001", "1005", fs.Intercepts);

        Assert.Equal("ringing-on-1001", (await picker.WaitForExecutionAsync("intercept")).Argument);
        await picker.Closed.WaitAsync(Timeout);
        await Eventually.True(() => daemon.LogEvents("outcome picked up").Count == 1, Timeout);
        var outcome = Assert.Single(daemon.LogEvents("outcome picked up"));
        Assert.Equal(("dev1005", "dev1001"), (outcome.GetProperty("PickerDevice").GetString(), outcome.GetProperty("RingingDevice").GetString()));
        Assert.Contains("eslcallflow_module_outcomes_total{module=\"group_pickup_feature\",outcome=\"picked_up\"} 1", await daemon.MetricsAsync());
    }

    [Fact]
    public async Task Star_star_and_an_extension_as_a_BLF_key_dials_it_picks_up_the_same_way()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("ringing-on-1002", "1002");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("**1002", "1004", fs.Intercepts);

        Assert.Equal("ringing-on-1002", (await picker.WaitForExecutionAsync("intercept")).Argument);
        await picker.Closed.WaitAsync(Timeout);
        await Eventually.True(() => daemon.LogEvents("outcome picked up").Count == 1, Timeout);
    }

    [Fact]
    public async Task Star7_and_a_ring_group_number_picks_up_the_ring_groups_call()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await using var caller = await daemon.CallAsync("7000", "1005", fs.RingsUntilPickedUp);
        await daemon.WaitForRingingAsync(4);

        await using var picker = await daemon.CallAsync("*77000", "1004", fs.Intercepts);

        Assert.Equal(caller.Uuid, (await picker.WaitForExecutionAsync("intercept")).Argument);
        await caller.Closed.WaitAsync(Timeout);
        await Eventually.True(() => daemon.LogEvents("outcome answered by pickup").Count == 1, Timeout);
        var pickedUp = Assert.Single(daemon.LogEvents("outcome answered by pickup"));
        Assert.Equal("dev1004", pickedUp.GetProperty("PickerDevice").GetString());
    }

    [Fact]
    public async Task An_extension_nobody_has_gets_404_at_once_and_a_log_line_naming_what_was_dialled()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);

        await using var picker = await daemon.CallAsync("*79999", "1005", fs.Intercepts);

        Assert.Equal("404 No Such Extension", (await picker.WaitForExecutionAsync("respond")).Argument);
        var line = Assert.Single(daemon.LogEvents("directed pickup"));
        Assert.Equal(("9999", "extension"), (line.GetProperty("Dialled").GetString(), line.GetProperty("TargetType").GetString()));
        Assert.DoesNotContain(picker.Executions, e => e.Application == "intercept");
    }

    [Fact]
    public async Task Nothing_ringing_at_that_extension_is_an_immediate_480()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("ringing-on-1003", "1003");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("*71002", "1005", fs.Intercepts);

        Assert.Equal("480 No Call To Pick Up", (await picker.WaitForExecutionAsync("respond")).Argument);
        Assert.Empty(fs.InterceptsByCaller);
    }

    [Fact]
    public async Task A_picker_outside_the_approval_is_refused_with_403_before_anything_is_looked_up()
    {
        var config = RunningDaemon.ConfigWith(("star6.json", """
            { "id": "sales-directed", "patterns": ["^\\*6([0-9]+)$"],
              "flow": { "module": "group_pickup_feature", "data": { "type": "device", "approved_group_id": "sales" } } }
            """));
        await using var daemon = await RunningDaemon.StartAsync(config);
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("ringing-on-1001", "1001");
        await daemon.WaitForRingingAsync(1);

        await using var picker = await daemon.CallAsync("*61001", "1004", fs.Intercepts);

        Assert.Equal("403 Forbidden", (await picker.WaitForExecutionAsync("respond")).Argument);
        Assert.Empty(fs.InterceptsByCaller);
    }

    [Fact]
    public async Task Plan_shows_the_call_a_directed_pickup_would_take_from_the_running_daemon()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var fs = new SimulatedSwitch(daemon.FreeSwitch);
        await fs.RingPlainAsync("ringing-on-1001", "1001");
        await daemon.WaitForRingingAsync(1);
        var output = new StringWriter();

        var exit = CliCommands.Run(["plan", "*71001", "--from", "1006", "--config", RunningDaemon.BundledConfig, "--http", daemon.Http.ToString()], output, new StringWriter());

        Assert.Equal(0, exit);
        var text = output.ToString();
        Assert.Contains("*71001: callflow directed-pickup, module group_pickup_feature, caller dev1006", text);
        Assert.Contains("scope: extension 1001 (device dev1001)", text);
        Assert.Contains("would pick up caller ringing-on-1001 ringing on dev1001 (leg ringing-on-1001-plain-leg); execute intercept ringing-on-1001", text);
    }

    [Fact]
    public void Plan_without_a_running_daemon_shows_the_scope()
    {
        var output = new StringWriter();

        CliCommands.Run(["plan", "*77000", "--from", "1006@127.0.0.1", "--config", RunningDaemon.BundledConfig, "--http", "http://127.0.0.1:9"], output, new StringWriter());

        var text = output.ToString();
        Assert.Contains("scope: extension 7000 (callflow sales-ring-group): dev1001", text);
        Assert.Contains("live: no running daemon answered at http://127.0.0.1:9", text);
    }
}
