using System.Text.Json;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>play (KAZOO cf_play): answers the call first, as cf_play does, unless <c>answer</c> is false.</summary>
public sealed record PlayData(string Media, bool SkipModule, bool Answer = true) : IModuleData<PlayData>
{
    public const string Module = "play";

    public static IReadOnlyList<string> Modules { get; } = [Module];

    public static PlayData Parse(string module, DocumentReader reader, JsonElement data, string path) => new(
        reader.String(data, "id", path, required: true, check: v => SafeText.CheckMedia(v)) ?? "",
        reader.Bool(data, "skip_module", path, false),
        reader.Bool(data, "answer", path, true));
}
