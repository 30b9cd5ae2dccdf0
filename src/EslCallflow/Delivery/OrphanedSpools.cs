using System.Globalization;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Delivery;

/// <summary>
/// At start, the spool folders that no destination will ever read again (a hook removed from the configuration,
/// or renamed): their undelivered events would wait there forever, unseen. Each such folder is moved, whole, to
/// <c>&lt;StatePath&gt;/spool-orphaned/&lt;name&gt;-&lt;UTC time&gt;/</c> with a warning naming the hook and counting its
/// undelivered events; nothing undelivered is deleted, so moving it back under a hook of that name delivers them. An
/// empty one is removed. A configured destination that is disabled keeps its spool, for when it is enabled again,
/// with a warning when events wait in it.
/// </summary>
public static partial class OrphanedSpools
{
    public const string FolderName = "spool-orphaned";

    /// <param name="configured">Every destination in the configuration, enabled or not.</param>
    /// <param name="enabled">The destinations this run delivers to (their spools are opened, not looked at here).</param>
    public static void Handle(string statePath, IReadOnlySet<string> configured, IReadOnlySet<string> enabled, TimeProvider time, ILogger logger)
    {
        var spoolRoot = Path.Combine(statePath, "spool");
        string[] folders;
        try
        {
            folders = Directory.Exists(spoolRoot) ? Directory.GetDirectories(spoolRoot) : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotHandled(logger, spoolRoot, spoolRoot, ex.Message);
            return;
        }
        foreach (var folder in folders.Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (enabled.Contains(name))
            {
                continue;
            }
            try
            {
                var waiting = CountWaiting(folder);
                if (configured.Contains(name))
                {
                    if (waiting > 0)
                    {
                        LogDisabledWaiting(logger, name, waiting, folder);
                    }
                }
                else if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    var movedTo = Path.Combine(statePath, FolderName, $"{name}-{time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}");
                    Directory.CreateDirectory(Path.GetDirectoryName(movedTo)!);
                    Directory.Move(folder, movedTo);
                    LogOrphaned(logger, name, waiting, folder, movedTo);
                }
                else
                {
                    Directory.Delete(folder);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogNotHandled(logger, name, folder, ex.Message);
            }
        }
    }

    /// <summary>Events not yet acknowledged (opening the spool also removes its segments that are all done).</summary>
    private static int CountWaiting(string folder)
    {
        using var spool = EventSpool.Open(folder, out var pending, out _);
        return pending.Count;
    }

    [LoggerMessage(EventId = 7015, Level = LogLevel.Warning, Message = "Call event spool {Folder} belongs to no configured destination (hook {Destination} removed or renamed): moved with its {Count} undelivered event(s) to {MovedTo}; to deliver them, configure a hook of that name and move the folder back")]
    private static partial void LogOrphaned(ILogger logger, string destination, int count, string folder, string movedTo);

    [LoggerMessage(EventId = 7016, Level = LogLevel.Warning, Message = "Call event destination {Destination} is disabled: {Count} undelivered event(s) stay in {Folder} until it is enabled again")]
    private static partial void LogDisabledWaiting(ILogger logger, string destination, int count, string folder);

    [LoggerMessage(EventId = 7017, Level = LogLevel.Error, Message = "Call event spool of {Destination} in {Folder} could not be checked for orphaned events ({Reason}); it stays as it is")]
    private static partial void LogNotHandled(ILogger logger, string destination, string folder, string reason);
}
