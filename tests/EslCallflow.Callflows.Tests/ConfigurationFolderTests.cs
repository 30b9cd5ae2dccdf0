using System.Diagnostics;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Tests;

/// <summary>Reading a configuration folder: only regular *.json files directly in each kind's folder, and never a throw.</summary>
public class ConfigurationFolderTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(20);

    /// <summary>A folder with the fixtures' devices, users and groups, and one callflow.</summary>
    private static string Folder()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-folder").FullName;
        Write(folder, "devices/office.json", Fixtures.Devices);
        Write(folder, "users/office.json", Fixtures.Users);
        Write(folder, "groups/sales.json", Fixtures.Groups);
        Write(folder, "callflows/main.json", Fixtures.RingGroup("""{ "endpoints": [ { "id": "d1005", "endpoint_type": "device" } ] }"""));
        return folder;
    }

    private static void Write(string folder, string relative, string text)
    {
        var path = Path.Combine(folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>Loads on another thread, so a loader that blocks fails the test instead of hanging the run.</summary>
    private static async Task<LoadResult> LoadAsync(string folder) =>
        await Task.Run(() => ConfigurationLoader.LoadFolder(folder)).WaitAsync(NoHang);

    internal static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [Fact]
    public async Task A_json_symlink_that_points_nowhere_is_an_error_naming_it()
    {
        var folder = Folder();
        File.CreateSymbolicLink(Path.Combine(folder, "callflows", "gone.json"), Path.Combine(folder, "nowhere.json"));

        var result = await LoadAsync(folder);

        var error = Assert.Single(result.Errors);
        Assert.Equal($"callflows/gone.json: is a symbolic link to '{Path.Combine(folder, "nowhere.json")}', which does not exist", error.ToString());
    }

    [Fact]
    public async Task A_json_symlink_to_a_regular_file_is_read()
    {
        var folder = Folder();
        var elsewhere = Path.Combine(Directory.CreateTempSubdirectory("eslcallflow-target").FullName, "x.json");
        File.WriteAllText(elsewhere, """{ "id": "linked", "numbers": ["7100"], "flow": { "module": "device", "data": { "id": "d1006" } } }""");
        File.CreateSymbolicLink(Path.Combine(folder, "callflows", "linked.json"), elsewhere);

        var result = await LoadAsync(folder);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("linked", result.Configuration!.FindCallflow("7100")!.Id);
    }

    [Fact]
    public async Task A_fifo_named_json_is_refused_without_being_opened()
    {
        var folder = Folder();
        MakeFifo(Path.Combine(folder, "callflows", "pipe.json"));

        var result = await LoadAsync(folder);

        var error = Assert.Single(result.Errors);
        Assert.Equal("callflows/pipe.json", error.File);
        Assert.Equal("is empty, or is not a regular file (a FIFO, socket or device reads as 0 bytes and is never opened)", error.Reason);
    }

    [Fact]
    public async Task A_file_over_4_MB_is_refused()
    {
        var folder = Folder();
        Write(folder, "devices/huge.json", "[" + new string(' ', ConfigurationLoader.MaxFileBytes) + "]");

        var result = await LoadAsync(folder);

        var error = Assert.Single(result.Errors);
        Assert.Equal($"devices/huge.json: is {ConfigurationLoader.MaxFileBytes + 2} bytes; a configuration file may hold at most {ConfigurationLoader.MaxFileBytes} bytes", error.ToString());
    }

    [Fact]
    public async Task Upper_case_JSON_files_are_read()
    {
        var folder = Folder();
        Write(folder, "callflows/LOUD.JSON", """{ "id": "loud", "numbers": ["7200"], "flow": { "module": "device", "data": { "id": "d1006" } } }""");

        var result = await LoadAsync(folder);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("loud", result.Configuration!.FindCallflow("7200")!.Id);
    }

    [Fact]
    public async Task Subfolders_other_files_hidden_files_and_unknown_folders_are_listed_as_ignored_not_read()
    {
        var folder = Folder();
        var notRead = """{ "id": "hidden", "numbers": ["7300"], "flow": { "module": "device", "data": { "id": "d1006" } } }""";
        Write(folder, "callflows/old/x.json", notRead);
        Write(folder, "callflows/notes.txt", "not configuration");
        Write(folder, "callflows/main.json~", notRead);
        File.CreateSymbolicLink(Path.Combine(folder, "callflows", ".#main.json"), "root@host.1234:1700000000");
        Write(folder, "callflow/typo.json", notRead);

        var result = await LoadAsync(folder);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Null(result.Configuration!.FindCallflow("7300"));
        Assert.Equal(
            [
                "callflow/: not one of devices/, users/, groups/, callflows/",
                "callflows/.#main.json: a hidden file",
                "callflows/main.json~: not a .json file",
                "callflows/notes.txt: not a .json file",
                "callflows/old/: a subfolder (only files directly in callflows/ are read)",
            ],
            result.Ignored);
    }

    [Fact]
    public async Task A_kind_that_is_a_file_instead_of_a_folder_is_listed_as_ignored()
    {
        var folder = Folder();
        Directory.Delete(Path.Combine(folder, "groups"), recursive: true);
        Write(folder, "groups", Fixtures.Groups);

        var result = await LoadAsync(folder);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Configuration!.Groups);
        Assert.Equal(["groups: not a folder, so no groups are read"], result.Ignored);
    }

    [Fact]
    public async Task An_empty_folder_or_one_without_callflows_is_valid_with_no_callflows()
    {
        var empty = Directory.CreateTempSubdirectory("eslcallflow-empty").FullName;
        var noCallflows = Folder();
        Directory.Delete(Path.Combine(noCallflows, "callflows"), recursive: true);

        foreach (var folder in new[] { empty, noCallflows })
        {
            var result = await LoadAsync(folder);

            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            Assert.Empty(result.Configuration!.Callflows);
            Assert.Null(result.Configuration.FindCallflow("7000"));
        }
    }

    [Fact]
    public async Task A_missing_folder_is_one_error()
    {
        var result = await LoadAsync("/nonexistent/eslcallflow-config");

        Assert.Equal("/nonexistent/eslcallflow-config: configuration folder does not exist", Assert.Single(result.Errors).ToString());
    }
}
