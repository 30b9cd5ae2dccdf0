using System.Text.Json;
using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.Loading;

public sealed record LoadResult(PbxConfiguration? Configuration, IReadOnlyList<ConfigError> Errors)
{
    public bool IsValid => Configuration is not null && Errors.Count == 0;

    /// <summary>What the folder holds that was not read (subfolders, other files), one line each, for the log and <c>check</c>.</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];
}

/// <summary>
/// Loads a configuration folder: <c>devices/</c>, <c>users/</c>, <c>groups/</c> and <c>callflows/</c>, each
/// holding <c>*.json</c> files with one document (an object with an <c>id</c>) or an array of them.
/// Either every document is valid and cross-references resolve, or nothing is returned but the errors.
/// </summary>
public static class ConfigurationLoader
{
    public static readonly string[] Kinds = ["devices", "users", "groups", "callflows"];

    /// <summary>The largest configuration file read; a larger one is an error.</summary>
    public const int MaxFileBytes = ConfigurationFiles.MaxFileBytes;

    /// <summary>
    /// Never throws: a file that cannot be read, a document that cannot be decoded and even an unexpected
    /// failure are errors in the result, so a reload can always keep the last good configuration.
    /// </summary>
    public static LoadResult LoadFolder(string folder)
    {
        var errors = new List<ConfigError>();
        var ignored = new List<string>();
        try
        {
            if (!System.IO.Directory.Exists(folder))
            {
                errors.Add(new ConfigError(folder, null, "", "configuration folder does not exist"));
                return new LoadResult(null, errors);
            }
            var sources = ConfigurationFiles.Read(folder, errors, ignored);
            var loaded = Load(sources);
            return errors.Count == 0
                ? loaded with { Ignored = ignored }
                : new LoadResult(null, [.. errors, .. loaded.Errors]) { Ignored = ignored };
        }
        catch (Exception ex)
        {
            errors.Add(new ConfigError(folder, null, "", $"could not be loaded ({ex.GetType().Name}: {ex.Message}); this is a bug, please report it"));
            return new LoadResult(null, errors) { Ignored = ignored };
        }
    }

    /// <summary>Loads from (kind, file name, json text) triples; the folder loader and tests share it.</summary>
    public static LoadResult Load(IEnumerable<(string Kind, string File, string Json)> sources)
    {
        var errors = new List<ConfigError>();
        var devices = new List<Device>();
        var users = new List<User>();
        var groups = new List<Group>();
        var callflows = new List<Callflow>();
        var seenIds = new Dictionary<(string, string), string>();

        foreach (var (kind, file, json) in sources)
        {
            JsonElement root;
            try
            {
                root = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement;
            }
            catch (JsonException ex)
            {
                errors.Add(new ConfigError(file, null, $"line {ex.LineNumber + 1}", $"invalid JSON: {ex.Message}"));
                continue;
            }
            var documents = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToArray() : [root];
            foreach (var doc in documents)
            {
                if (doc.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(new ConfigError(file, null, "$", $"a document must be an object, not {DocumentReader.Describe(doc)}"));
                    continue;
                }
                if (UndecodableText.Find(doc, "$") is { } undecodable)
                {
                    var readableId = UndecodableText.IdOf(doc) is { } candidate && SafeText.CheckId(candidate) is null ? candidate : null;
                    errors.Add(new ConfigError(file, readableId, undecodable, UndecodableText.Reason));
                    continue;
                }
                var idReader = new DocumentReader(file, null, errors);
                var id = idReader.String(doc, "id", "$", required: true, check: SafeText.CheckId);
                if (id is null)
                {
                    continue;
                }
                if (seenIds.TryGetValue((kind, id), out var firstFile))
                {
                    errors.Add(new ConfigError(file, id, "$.id", $"duplicate {kind[..^1]} id (also in {firstFile})"));
                    continue;
                }
                seenIds[(kind, id)] = file;
                var reader = new DocumentReader(file, id, errors);
                switch (kind)
                {
                    case "devices":
                        if (DocumentParsers.Device(reader, doc, id) is { } device)
                        {
                            devices.Add(device);
                        }
                        break;
                    case "users":
                        users.Add(DocumentParsers.User(reader, doc, id));
                        break;
                    case "groups":
                        groups.Add(DocumentParsers.Group(reader, doc, id));
                        break;
                    case "callflows":
                        if (DocumentParsers.Callflow(reader, doc, id) is { } callflow)
                        {
                            callflows.Add(callflow);
                        }
                        break;
                    default:
                        errors.Add(new ConfigError(file, id, "$", $"unknown document kind '{kind}'"));
                        break;
                }
            }
        }

        var files = seenIds.ToDictionary(p => p.Key, p => p.Value);
        ReferenceChecks.Run(devices, users, groups, callflows, files, errors);
        if (errors.Count > 0)
        {
            return new LoadResult(null, errors);
        }
        // Needs every reference resolved: it rings the groups as a call would.
        var configuration = new PbxConfiguration(devices, users, groups, callflows);
        LegLimitCheck.Run(configuration, files, errors);
        return errors.Count > 0 ? new LoadResult(null, errors) : new LoadResult(configuration, errors);
    }
}
