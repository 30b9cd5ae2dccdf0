using System.Text.Json;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>response (KAZOO cf_response): a SIP error code and reason for the caller, with optional early media.</summary>
public sealed record ResponseData(int Code, string Message, string? Media, bool SkipModule) : IModuleData<ResponseData>
{
    public const string Module = "response";

    public static IReadOnlyList<string> Modules { get; } = [Module];

    public static ResponseData Parse(string module, DocumentReader reader, JsonElement data, string path) => new(
        reader.Int(data, "code", path, 486, 400, 699),
        reader.String(data, "message", path, check: SafeText.CheckText) ?? "",
        reader.String(data, "media", path, check: v => SafeText.CheckMedia(v)),
        reader.Bool(data, "skip_module", path, false));
}
