namespace EslCallflow.Calls;

/// <summary>The registered modules by name; the flow runner finds a node's module here.</summary>
public sealed class CallflowModules
{
    private readonly Dictionary<string, ICallflowModule> _byName;

    public CallflowModules(IEnumerable<ICallflowModule> modules)
    {
        _byName = modules.ToDictionary(m => m.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public ICallflowModule? Find(string name) => _byName.GetValueOrDefault(name);
}
