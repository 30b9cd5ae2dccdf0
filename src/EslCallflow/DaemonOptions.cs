using System.ComponentModel.DataAnnotations;

namespace EslCallflow;

/// <summary>The <c>EslCallflow</c> configuration section.</summary>
public sealed class DaemonOptions
{
    public const string Section = "EslCallflow";

    /// <summary>Folder with devices/, users/, groups/, callflows/. Relative paths are from the binary's folder.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ConfigurationPath { get; set; } = "config";

    /// <summary>The longest <see cref="DrainTimeout"/> allowed: deploy/eslcallflow.service's TimeoutStopSec sits above it plus <see cref="ShutdownMargin"/>.</summary>
    public const string MaxDrainTimeout = "00:05:00";

    /// <summary>
    /// What the host's shutdown allows beyond the drain: closing the sessions left, the inbound link and the HTTP
    /// endpoint. The host's ShutdownTimeout is DrainTimeout plus this, so the drain is never cut short by the host.
    /// </summary>
    public static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(15);

    /// <summary>On stop, calls in progress may finish for this long before their sessions are closed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", MaxDrainTimeout)]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A reload that would drop more than this share of the callflows in use (0.5 = half), or every one of
    /// them, is refused unless forced (POST /reload?force=true): a half-copied or emptied folder is far more
    /// often a deploy in progress than an intent. 1 refuses only a reload that drops every callflow.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ReloadMaxDropShare { get; set; } = 0.5;

    /// <summary>Reloads start at least this far apart; requests meanwhile are coalesced into the next one.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReloadMinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Where the daemon keeps what must outlive it (the call event spool). Default: systemd's <c>$STATE_DIRECTORY</c>
    /// (the unit's <c>StateDirectory=eslcallflow</c>, /var/lib/eslcallflow), else <c>state</c> beside the binary.
    /// </summary>
    public string? StatePath { get; set; }

    public string ResolvedStatePath => StatePath is { Length: > 0 } path
        ? (Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path))
        : Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } systemd
            ? systemd.Split(':')[0]
            : Path.Combine(AppContext.BaseDirectory, "state");

    public string ResolvedConfigurationPath => Path.IsPathRooted(ConfigurationPath)
        ? ConfigurationPath
        : Path.Combine(AppContext.BaseDirectory, ConfigurationPath);
}
