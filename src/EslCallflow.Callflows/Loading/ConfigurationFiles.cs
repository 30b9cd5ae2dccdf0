using System.Text;

namespace EslCallflow.Callflows.Loading;

/// <summary>
/// Reads a configuration folder's files: <c>*.json</c> (any case) directly inside each kind's folder, regular
/// files only, each at most <see cref="MaxFileBytes"/>. Everything else in the folder is listed as ignored, so
/// nothing is skipped silently. Never throws: a file that cannot be read is an error naming it.
/// </summary>
internal static class ConfigurationFiles
{
    public const int MaxFileBytes = 4 * 1024 * 1024;

    public static List<(string Kind, string File, string Json)> Read(string folder, List<ConfigError> errors, List<string> ignored)
    {
        var sources = new List<(string Kind, string File, string Json)>();
        foreach (var entry in Entries(folder, folder, errors))
        {
            var name = Path.GetFileName(entry);
            if (!ConfigurationLoader.Kinds.Contains(name, StringComparer.Ordinal))
            {
                ignored.Add($"{Relative(folder, entry)}{(Directory.Exists(entry) ? "/" : "")}: not one of {string.Join(", ", ConfigurationLoader.Kinds.Select(k => k + "/"))}");
            }
            else if (!Directory.Exists(entry))
            {
                ignored.Add($"{name}: not a folder, so no {name} are read");
            }
        }
        foreach (var kind in ConfigurationLoader.Kinds)
        {
            var dir = Path.Combine(folder, kind);
            if (!Directory.Exists(dir))
            {
                continue;
            }
            foreach (var entry in Entries(folder, dir, errors))
            {
                var relative = Relative(folder, entry);
                var name = Path.GetFileName(entry);
                if (name.StartsWith('.'))
                {
                    // Editors keep lock and swap files here (Emacs' .#x.json is a symlink to nowhere).
                    ignored.Add($"{relative}: a hidden file");
                }
                else if (Directory.Exists(entry))
                {
                    ignored.Add($"{relative}/: a subfolder (only files directly in {kind}/ are read)");
                }
                else if (!name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                {
                    ignored.Add($"{relative}: not a .json file");
                }
                else if (ReadRegularFile(entry, relative, errors) is { } json)
                {
                    sources.Add((kind, relative, json));
                }
            }
        }
        return sources;
    }

    /// <summary>A folder's entries in ordinal order, or none (with an error) when it cannot be listed.</summary>
    private static IEnumerable<string> Entries(string root, string dir, List<ConfigError> errors)
    {
        try
        {
            return Directory.GetFileSystemEntries(dir).Order(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigError(dir == root ? root : Relative(root, dir) + "/", null, "", $"cannot be listed: {ex.Message}"));
            return [];
        }
    }

    /// <summary>
    /// The text of a regular file, or null with an error. Opening a FIFO blocks until something writes to it,
    /// and a device may never end, so neither is opened: both report a size of 0, as an empty file does, and
    /// an empty file holds no document anyway. The size is checked again while reading, in case the file grew.
    /// </summary>
    private static string? ReadRegularFile(string path, string relative, List<ConfigError> errors)
    {
        void Error(string reason) => errors.Add(new ConfigError(relative, null, "", reason));
        try
        {
            var file = new FileInfo(path);
            if (file.LinkTarget is { } linkTarget)
            {
                if (file.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo { Exists: true } target)
                {
                    Error($"is a symbolic link to '{linkTarget}', which does not exist");
                    return null;
                }
                file = target;
            }
            if (file.Length == 0)
            {
                Error("is empty, or is not a regular file (a FIFO, socket or device reads as 0 bytes and is never opened)");
                return null;
            }
            if (file.Length > MaxFileBytes)
            {
                Error($"is {file.Length} bytes; a configuration file may hold at most {MaxFileBytes} bytes");
                return null;
            }
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.SequentialScan);
            var bytes = new MemoryStream((int)file.Length);
            var chunk = new byte[81920];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                if (bytes.Length + read > MaxFileBytes)
                {
                    Error($"grew past {MaxFileBytes} bytes while being read; a configuration file may hold at most {MaxFileBytes} bytes");
                    return null;
                }
                bytes.Write(chunk, 0, read);
            }
            bytes.Position = 0;
            // As File.ReadAllText: UTF-8 unless a byte order mark says otherwise; invalid bytes become U+FFFD.
            using var reader = new StreamReader(bytes, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Error($"cannot be read: {ex.Message}");
            return null;
        }
    }

    private static string Relative(string folder, string path) => Path.GetRelativePath(folder, path).Replace('\\', '/');
}
