using EslCallflow.Callflows;
using EslCallflow.Callflows.Loading;
using Microsoft.Extensions.Options;

namespace EslCallflow.Hosting;

/// <summary>The configuration new calls use. Loaded and validated at start; a call keeps the instance it started with.</summary>
public sealed class CallflowConfigurationStore
{
    private volatile PbxConfiguration _current;

    public CallflowConfigurationStore(IOptions<DaemonOptions> options)
    {
        var path = options.Value.ResolvedConfigurationPath;
        var result = ConfigurationLoader.LoadFolder(path);
        if (!result.IsValid)
        {
            throw new OptionsValidationException(DaemonOptions.Section, typeof(DaemonOptions),
                result.Errors.Select(e => $"callflow configuration {path}: {e}"));
        }
        _current = result.Configuration!;
        Path = path;
    }

    public string Path { get; }

    public PbxConfiguration Current => _current;
}
