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

    public string ResolvedConfigurationPath => Path.IsPathRooted(ConfigurationPath)
        ? ConfigurationPath
        : Path.Combine(AppContext.BaseDirectory, ConfigurationPath);
}
