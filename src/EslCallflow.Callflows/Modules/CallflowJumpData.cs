using System.Text.Json;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>callflow (KAZOO cf_callflow): go on in another callflow's flow.</summary>
public sealed record CallflowJumpData(string Id, bool SkipModule) : IModuleData<CallflowJumpData>
{
    public const string Module = "callflow";

    public static IReadOnlyList<string> Modules { get; } = [Module];

    public IEnumerable<DocumentReference> References => Id.Length > 0 ? [new(DocumentKind.Callflow, Id, "id")] : [];

    public static CallflowJumpData Parse(string module, DocumentReader reader, JsonElement data, string path) => new(
        reader.String(data, "id", path, required: true, check: SafeText.CheckId) ?? "",
        reader.Bool(data, "skip_module", path, false));
}
