using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// The callflow modules documents may use: every data type in this assembly that implements
/// <see cref="IModuleData{TSelf}"/>, by the names it gives. Adding a module adds nothing here.
/// </summary>
public static class ModuleCatalog
{
    private delegate IModuleData? DataParser(string module, DocumentReader reader, JsonElement data, string path);

    private static readonly FrozenDictionary<string, (Type Data, DataParser Parse)> Parsers = Discover();

    /// <summary>The module names, in ordinal order (as listed when an unknown one is refused).</summary>
    public static IReadOnlyCollection<string> Names { get; } = [.. Parsers.Keys.Order(StringComparer.Ordinal)];

    public static bool IsKnown(string module) => Parsers.ContainsKey(module);

    /// <summary>The data type of <paramref name="module"/>'s nodes, or null for an unknown module.</summary>
    public static Type? DataTypeOf(string module) => Parsers.TryGetValue(module, out var entry) ? entry.Data : null;

    /// <summary>The module's data, or null when it has errors (each one recorded by <paramref name="reader"/>).</summary>
    internal static IModuleData? Parse(DocumentReader reader, string module, JsonElement data, string path) =>
        Parsers.TryGetValue(module, out var entry) ? entry.Parse(module, reader, data, path) : null;

    private static FrozenDictionary<string, (Type, DataParser)> Discover()
    {
        var parsers = new Dictionary<string, (Type, DataParser)>(StringComparer.Ordinal);
        var register = typeof(ModuleCatalog).GetMethod(nameof(Register), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var type in typeof(ModuleCatalog).Assembly.GetTypes().Where(IsModuleData))
        {
            register.MakeGenericMethod(type).Invoke(null, [parsers]);
        }
        return parsers.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static bool IsModuleData(Type type) =>
        type is { IsClass: true, IsAbstract: false }
        && type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IModuleData<>) && i.GenericTypeArguments[0] == type);

    private static void Register<TData>(Dictionary<string, (Type, DataParser)> parsers) where TData : class, IModuleData<TData>
    {
        foreach (var module in TData.Modules)
        {
            if (!parsers.TryAdd(module, (typeof(TData), TData.Parse)))
            {
                throw new InvalidOperationException($"module '{module}' is claimed by {parsers[module].Item1.Name} and {typeof(TData).Name}");
            }
        }
    }
}
