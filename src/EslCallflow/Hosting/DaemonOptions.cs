using System.ComponentModel.DataAnnotations;

namespace EslCallflow.Hosting;

/// <summary>The <c>EslCallflow</c> configuration section.</summary>
public sealed class DaemonOptions
{
    public const string Section = "EslCallflow";

    /// <summary>Folder with devices/, users/, groups/, callflows/. Relative paths are from the binary's folder.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ConfigurationPath { get; set; } = "config";

    /// <summary>On stop, calls in progress may finish for this long before their sessions are closed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
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

    public string ResolvedConfigurationPath => Path.IsPathRooted(ConfigurationPath)
        ? ConfigurationPath
        : Path.Combine(AppContext.BaseDirectory, ConfigurationPath);
}
