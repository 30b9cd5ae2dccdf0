using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// The callflow modules documents may use, each with the parser of its <c>data</c>. Adding a module means its file
/// in this folder, a line here, its runner in the daemon (Calls/Modules) and their tests.
/// </summary>
public static class ModuleCatalog
{
    internal delegate IModuleData? DataParser(DocumentReader reader, JsonElement data, string path);

    private static readonly Dictionary<string, DataParser> Parsers = new(StringComparer.Ordinal)
    {
        [RingGroupData.Module] = RingGroupData.Parse,
        [RingTargetData.DeviceModule] = (reader, data, path) => RingTargetData.Parse(EndpointType.Device, reader, data, path),
        [RingTargetData.UserModule] = (reader, data, path) => RingTargetData.Parse(EndpointType.User, reader, data, path),
        [GroupPickupData.Module] = GroupPickupData.Parse,
        [GroupPickupFeatureData.Module] = GroupPickupFeatureData.Parse,
        [PlayData.Module] = PlayData.Parse,
        [ResponseData.Module] = ResponseData.Parse,
        [CallflowJumpData.Module] = CallflowJumpData.Parse,
        [TransferData.Module] = TransferData.Parse,
    };

    /// <summary>The module names, in the order they are listed when an unknown one is refused.</summary>
    public static IReadOnlyCollection<string> Names => Parsers.Keys;

    public static bool IsKnown(string module) => Parsers.ContainsKey(module);

    /// <summary>The module's data, or null when it has errors (each one recorded by <paramref name="reader"/>).</summary>
    internal static IModuleData? Parse(DocumentReader reader, string module, JsonElement data, string path) =>
        Parsers.TryGetValue(module, out var parse) ? parse(reader, data, path) : null;
}
