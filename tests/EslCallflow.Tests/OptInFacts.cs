namespace EslCallflow.Tests;

/// <summary>A test that needs something CI does not have; it runs only when <paramref name="variable"/> is set, and says why it skipped.</summary>
public sealed class OptInFactAttribute : FactAttribute
{
    public OptInFactAttribute(string variable, string needs)
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)))
        {
            Skip = $"needs {needs}; set {variable} to run it (see README, Tests)";
        }
    }
}

/// <summary>A test that needs a tool on PATH; skipped, saying so, where it is missing.</summary>
public sealed class NeedsToolFactAttribute : FactAttribute
{
    public NeedsToolFactAttribute(params string[] tools)
    {
        if (tools.FirstOrDefault(t => RepositoryFiles.FindTool(t) is null) is { } tool)
        {
            Skip = $"'{tool}' is not installed here (.ci/run installs it on CI machines)";
        }
    }
}

internal static class RepositoryFiles
{
    /// <summary>The repository root: the nearest folder above the test binaries holding EslCallflow.sln.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EslCallflow.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("EslCallflow.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string? FindTool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
