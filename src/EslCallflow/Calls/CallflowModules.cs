using EslCallflow.Callflows.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace EslCallflow.Calls;

/// <summary>
/// The module runners by name; the flow runner finds a node's runner here. Every module the documents may use
/// (<see cref="ModuleCatalog"/>) has exactly one, or the daemon does not start.
/// </summary>
public sealed class CallflowModules
{
    private readonly Dictionary<string, ICallflowModule> _byName = new(StringComparer.Ordinal);

    public CallflowModules(IEnumerable<ICallflowModule> modules)
    {
        foreach (var module in modules)
        {
            foreach (var name in module.Names)
            {
                if (!_byName.TryAdd(name, module))
                {
                    throw new InvalidOperationException($"module '{name}' has two runners: {_byName[name].GetType().Name} and {module.GetType().Name}");
                }
            }
        }
        var missing = ModuleCatalog.Names.Where(name => !_byName.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"module(s) {string.Join(", ", missing)} have data but no runner: add a CallflowModule<{ModuleCatalog.DataTypeOf(missing[0])!.Name}> to Calls/Modules");
        }
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public ICallflowModule? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Every runner in the daemon (each <see cref="CallflowModule{TData}"/>), and this registry over them.</summary>
    public static void Register(IServiceCollection services)
    {
        var runners = typeof(CallflowModules).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICallflowModule).IsAssignableFrom(t));
        foreach (var runner in runners)
        {
            services.AddSingleton(typeof(ICallflowModule), runner);
        }
        services.AddSingleton<CallflowModules>();
    }
}
