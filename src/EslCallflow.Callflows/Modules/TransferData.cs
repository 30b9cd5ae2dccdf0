using System.Text.Json;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>transfer: hand the call back to a FreeSWITCH dialplan (extension, context, dialplan).</summary>
public sealed record TransferData(string Extension, string Context, string Dialplan, bool SkipModule) : IModuleData<TransferData>
{
    public const string Module = "transfer";

    public static IReadOnlyList<string> Modules { get; } = [Module];

    public static TransferData Parse(string module, DocumentReader reader, JsonElement data, string path) => new(
        reader.String(data, "extension", path, required: true, check: SafeText.CheckExtension) ?? "",
        reader.String(data, "context", path, check: SafeText.CheckExtension) ?? "default",
        reader.String(data, "dialplan", path, check: SafeText.CheckExtension) ?? "XML",
        reader.Bool(data, "skip_module", path, false));
}
