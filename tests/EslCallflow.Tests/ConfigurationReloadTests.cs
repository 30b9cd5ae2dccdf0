using EslCallflow.Configuration;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using EslCallflow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EslCallflow.Tests;

/// <summary>
/// Reloads through the real host: no edit ends the process, whatever the path (file change, SIGHUP, POST /reload);
/// the last good configuration stays; a reload that would drop too many callflows waits for force; requests are
/// coalesced; a replaced folder is followed.
/// </summary>
public class ConfigurationReloadTests
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>Edits that once made a reload throw on a timer or signal thread, ending the process.</summary>
    public static TheoryData<string, string> HostileEdits => new()
    {
        { "pattern", "is not a valid regular expression once anchored" },
        { "surrogate", "holds an escaped lone UTF-16 surrogate" },
        { "dangling symlink", "which does not exist" },
        { "fifo", "is not a regular file" },
    };

    internal static void Apply(string edit, string folder)
    {
        var callflows = Path.Combine(folder, "callflows");
        switch (edit)
        {
            case "pattern":
                File.WriteAllText(Path.Combine(callflows, "bad.json"), """{ "id": "bad", "numbers": ["7100"], "patterns": ["(?x)7#"], "flow": { "module": "device", "data": { "id": "dev1005" } } }""");
                break;
            case "surrogate":
                File.WriteAllText(Path.Combine(callflows, "bad.json"), """{ "id": "bad", "numbers": ["7100"], "flow": { "module": "response", "data": { "message": "\ud800" } } }""");
                break;
            case "dangling symlink":
                File.CreateSymbolicLink(Path.Combine(callflows, "bad.json"), Path.Combine(folder, "nowhere.json"));
                break;
            case "fifo":
                MakeFifo(Path.Combine(callflows, "bad.json"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(edit), edit, null);
        }
    }

    internal static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    internal static async Task WaitForAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(25, cts.Token);
        }
    }

    /// <summary>A call to 7000 that nobody answers: "480 Nobody Available" shows the bundled 7000 callflow is in use.</summary>
    internal static async Task<string?> RespondTo7000Async(RunningDaemon daemon)
    {
        await using var call = await daemon.CallAsync("7000", "1005", Bridges.Fails("NO_ANSWER"));
        return (await call.WaitForExecutionAsync("respond")).Argument;
    }

    private static Task<HttpResponseMessage> PostReloadAsync(RunningDaemon daemon, string query = "") =>
        Client.PostAsync(new Uri(daemon.Http, "/reload" + query), null);

    private static CallflowConfigurationStore Store(RunningDaemon daemon) => daemon.Host.Services.GetRequiredService<CallflowConfigurationStore>();

    [Theory]
    [MemberData(nameof(HostileEdits))]
    public async Task A_hostile_edit_picked_up_from_the_folder_is_rejected_and_the_daemon_goes_on(string edit, string reason)
    {
        var folder = RunningDaemon.ConfigWith();
        await using var daemon = await RunningDaemon.StartAsync(folder);

        Apply(edit, folder);

        await WaitForAsync(() => daemon.LogEvents("Configuration error").Any(e => e.GetProperty("Reason").GetString()!.Contains(reason, StringComparison.Ordinal)));
        Assert.Contains(daemon.LogEvents("rejected"), e => e.GetProperty("Trigger").GetString() == "file change");
        Assert.Equal("480 Nobody Available", await RespondTo7000Async(daemon));
    }

    [Theory]
    [MemberData(nameof(HostileEdits))]
    public async Task A_hostile_edit_reloaded_by_POST_is_a_422_with_the_reason_and_later_reloads_still_work(string edit, string reason)
    {
        var folder = RunningDaemon.ConfigWith();
        await using var daemon = await RunningDaemon.StartAsync(folder, "--EslCallflow:ReloadMinInterval=00:00:00");
        Apply(edit, folder);

        var post = await PostReloadAsync(daemon);

        Assert.Equal(HttpStatusCode.UnprocessableContent, post.StatusCode);
        var errors = JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(errors, e => e.StartsWith("callflows/bad.json: ", StringComparison.Ordinal) && e.Contains(reason, StringComparison.Ordinal));
        Assert.Equal("480 Nobody Available", await RespondTo7000Async(daemon));

        // Nothing was left holding the reload: once the file is gone, the next one applies.
        File.Delete(Path.Combine(folder, "callflows", "bad.json"));
        Assert.Equal(HttpStatusCode.OK, (await PostReloadAsync(daemon)).StatusCode);
    }

    [Fact]
    public async Task Emptying_the_folder_is_refused_unless_forced_and_forced_every_call_is_unallocated()
    {
        var folder = RunningDaemon.ConfigWith();
        await using var daemon = await RunningDaemon.StartAsync(folder, "--EslCallflow:ReloadMinInterval=00:00:00");
        foreach (var entry in Directory.GetFileSystemEntries(folder))
        {
            Directory.Delete(entry, recursive: true);
        }

        var refused = await PostReloadAsync(daemon);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var refusal = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("refused").GetString();
        Assert.StartsWith("it would drop every callflow (6: directed-pickup, sales-login, sales-logout, sales-pickup, sales-ring-group, …); calls to them would be refused as UNALLOCATED_NUMBER. If that is intended, force it with POST /reload?force=true", refusal);
        Assert.Contains(daemon.LogEvents("refused"), e => e.GetProperty("Refusal").GetString() == refusal);
        Assert.Equal("480 Nobody Available", await RespondTo7000Async(daemon));

        var forced = await PostReloadAsync(daemon, "?force=true");

        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.Equal(0, JsonDocument.Parse(await forced.Content.ReadAsStringAsync()).RootElement.GetProperty("callflows").GetInt32());
        await using var call = await daemon.CallAsync("7000", "1005");
        await call.Closed.WaitAsync(Timeout);
        Assert.Equal("UNALLOCATED_NUMBER", call.HangupCause);
        // With nothing left to drop, an empty folder reloads as it is.
        Assert.Equal(HttpStatusCode.OK, (await PostReloadAsync(daemon)).StatusCode);
    }

    [Fact]
    public async Task Dropping_more_than_the_allowed_share_of_callflows_is_refused_and_less_is_applied()
    {
        static (string, string) Extra(string id, string number) => ($"{id}.json", $$"""{ "id": "{{id}}", "numbers": ["{{number}}"], "flow": { "module": "device", "data": { "id": "dev1005" } } }""");
        var folder = RunningDaemon.ConfigWith(Extra("x1", "7101"), Extra("x2", "7102"));
        // The bundled ring_group_toggle feature codes aside: five callflows make the shares below.
        foreach (var toggle in Directory.GetFiles(Path.Combine(folder, "callflows"), "star6*.json"))
        {
            File.Delete(toggle);
        }
        await using var daemon = await RunningDaemon.StartAsync(folder, "--EslCallflow:ReloadMinInterval=00:00:00");

        // 3 of 5 (60%) is more than the default 50%.
        foreach (var file in new[] { "x1.json", "x2.json", "8000-sales-pickup.json" })
        {
            File.Move(Path.Combine(folder, "callflows", file), Path.Combine(folder, file));
        }
        var refused = await PostReloadAsync(daemon);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("it would drop 3 of 5 callflows (60%, more than ReloadMaxDropShare 50%: sales-pickup, x1, x2)",
            JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("refused").GetString(), StringComparison.Ordinal);
        Assert.Equal(5, Store(daemon).Current.Callflows.Count);

        // 2 of 5 (40%) is not more than 50%.
        File.Move(Path.Combine(folder, "8000-sales-pickup.json"), Path.Combine(folder, "callflows", "8000-sales-pickup.json"));
        Assert.Equal(HttpStatusCode.OK, (await PostReloadAsync(daemon)).StatusCode);
        Assert.Equal(["directed-pickup", "sales-pickup", "sales-ring-group"], Store(daemon).Current.Callflows.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_burst_of_reload_requests_runs_at_most_two_reloads_and_every_caller_gets_the_answer()
    {
        await using var daemon = await RunningDaemon.StartAsync(RunningDaemon.ConfigWith(), "--EslCallflow:ReloadMinInterval=00:00:03");
        var before = Store(daemon).ReloadsRun;

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => PostReloadAsync(daemon)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var ran = Store(daemon).ReloadsRun - before;
        Assert.InRange(ran, 1, 2);
        Assert.Equal(40, daemon.LogEvents("Configuration reloaded").Sum(e => e.GetProperty("Requests").GetInt32()));
    }

    [Fact]
    public async Task A_folder_replaced_by_rm_and_cp_is_followed_and_its_content_reloaded()
    {
        var folder = RunningDaemon.ConfigWith();
        var replacement = RunningDaemon.ConfigWith();
        var file = Path.Combine(replacement, "callflows", "7000-sales-ring-group.json");
        await File.WriteAllTextAsync(file, (await File.ReadAllTextAsync(file)).Replace("\"code\": 480, \"message\": \"Nobody Available\"", "\"code\": 486, \"message\": \"Sales Busy\"", StringComparison.Ordinal));
        await using var daemon = await RunningDaemon.StartAsync(folder, "--EslCallflow:ReloadMinInterval=00:00:00");

        // As deploy tools do: remove the folder, then copy the new one in its place.
        Directory.Delete(folder, recursive: true);
        await WaitForAsync(() => daemon.LogEvents("is gone").Count >= 1);
        CopyFolder(replacement, folder);

        await WaitForAsync(() => daemon.LogEvents("Configuration reloaded").Count >= 1);
        Assert.Equal("486 Sales Busy", await RespondTo7000Async(daemon));

        // And the watch is on the new folder: a later edit in it is picked up too.
        var copied = Path.Combine(folder, "callflows", "7000-sales-ring-group.json");
        await File.WriteAllTextAsync(copied, (await File.ReadAllTextAsync(copied)).Replace("Sales Busy", "Sales Closed", StringComparison.Ordinal));
        await WaitForAsync(() => daemon.LogEvents("Configuration reloaded").Count >= 2);
        Assert.Equal("486 Sales Closed", await RespondTo7000Async(daemon));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
