using EslCallflow.Cli;
using Microsoft.Extensions.Options;

namespace EslCallflow.Tests;

/// <summary>Webhook settings are checked by <c>check</c> and at start (ValidateOnStart), and the secret is never printed.</summary>
public class CallRecordSettingsTests
{
    private const string Secret = "a-secret-nobody-may-see-1234";

    private static string Settings(string hook)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("eslcallflow-settings").FullName, "appsettings.json");
        File.WriteAllText(file, $$"""{ "CallRecords": { "Webhooks": [ {{hook}} ] } }""");
        return file;
    }

    [Fact]
    public void Check_accepts_the_bundled_settings_whose_example_hook_is_disabled()
    {
        var output = new StringWriter();

        Assert.Equal(0, CliCommands.Run(["check", RunningDaemon.BundledConfig], output, new StringWriter()));

        Assert.Contains("webhooks valid: none enabled; FreeSWITCH events off", output.ToString());
    }

    [Fact]
    public void The_bundled_example_hook_is_valid_and_disabled()
    {
        var output = new StringWriter();
        var example = Path.Combine(AppContext.BaseDirectory, "appsettings.webhooks.example.json");

        Assert.Equal(0, CliCommands.Run(["check", RunningDaemon.BundledConfig, "--settings", example], output, new StringWriter()));

        Assert.Contains("webhooks valid: none enabled", output.ToString());
    }

    [Fact]
    public void Check_lists_every_problem_of_a_hook_and_never_its_secret()
    {
        var file = Settings($$"""{ "Name": "crm hook", "Url": "ftp://x", "Secret": "short", "Events": ["call.answerd"], "Retries": 99 }""");
        var errors = new StringWriter();

        Assert.Equal(1, CliCommands.Run(["check", RunningDaemon.BundledConfig, "--settings", file], new StringWriter(), errors));

        var text = errors.ToString();
        Assert.Contains("Name must be", text);
        Assert.Contains("Url must be an absolute http or https URL", text);
        Assert.Contains("Secret must be at least 16 characters", text);
        Assert.Contains("unknown event 'call.answerd'", text);
        Assert.Contains("Retries must be between 0 and 20", text);
        Assert.DoesNotContain("short", text.Replace("Secret must", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_accepts_a_valid_hook_and_names_it()
    {
        var file = Settings($$"""{ "Name": "crm", "Url": "https://crm.example/hook", "Secret": "{{Secret}}", "Events": ["call.ended"] }""");
        var output = new StringWriter();

        Assert.Equal(0, CliCommands.Run(["check", RunningDaemon.BundledConfig, "--settings", file], output, new StringWriter()));

        Assert.Contains("crm (call.ended)", output.ToString());
        Assert.DoesNotContain(Secret, output.ToString());
    }

    [Fact]
    public async Task The_daemon_does_not_start_with_an_invalid_hook_nor_with_two_of_one_name()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningDaemon.StartAsync(null,
            [.. HookArgs.For("http://127.0.0.1:9/a"), .. HookArgs.For("http://127.0.0.1:9/b", index: 1), "--CallRecords:Webhooks:1:Secret=tiny"]));

        Assert.Contains(error.Failures, f => f.Contains("used twice", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Secret must be at least 16 characters", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Failures, f => f.Contains(HookArgs.Secret, StringComparison.Ordinal) || f.Contains("tiny", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_state_folder_that_cannot_be_used_keeps_events_in_memory_and_calls_go_on()
    {
        var notAFolder = Path.GetTempFileName();
        await using var daemon = await RunningDaemon.StartAsync(null, $"--EslCallflow:StatePath={notAFolder}", "--CallRecords:FreeSwitchEvents=true");
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Answered());

        await call.Closed.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(call.HangupCause);
        Assert.NotEmpty(daemon.LogEvents("kept in memory only"));
        await Eventually.True(() => daemon.FreeSwitch.SentEvents.Any(e => e.Headers["Eslcallflow-Call-Uuid"] == call.Uuid && e.Headers["Eslcallflow-Event"] == "call.ended"), TimeSpan.FromSeconds(10));
    }
}
