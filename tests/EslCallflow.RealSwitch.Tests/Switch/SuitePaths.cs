namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>Where the suite finds the repository and keeps its runs (configuration copies, logs, databases).</summary>
public static class SuitePaths
{
    /// <summary>The repository root: the nearest folder above the test binaries holding EslCallflow.sln.</summary>
    public static string Repository
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

    /// <summary>The suite's own folder under the temp directory: the pid file, the daemon's build and one folder per run.</summary>
    public static string Root
    {
        get
        {
            // One folder per checkout: two checkouts testing at once must not share the daemon's build, nor kill
            // each other's processes as leftovers of an earlier run.
            var checkout = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Repository)))[..8];
            var root = Path.Combine(Path.GetTempPath(), "eslcallflow-realswitch-" + checkout);
            Directory.CreateDirectory(root);
            return root;
        }
    }

    /// <summary>A fresh folder for this run; older runs are removed, the last few kept for a look after a failure.</summary>
    public static string NewRun()
    {
        var runs = new DirectoryInfo(Root).GetDirectories("run-*").OrderByDescending(d => d.Name, StringComparer.Ordinal).Skip(2);
        foreach (var old in runs)
        {
            try
            {
                old.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Still in use by a run that is not over; the next run removes it.
            }
        }
        var run = Path.Combine(Root, $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(run);
        return run;
    }

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
