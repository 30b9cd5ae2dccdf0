using System.Text.Json;

namespace EslCallflow.Callflows.Loading;

/// <summary>
/// Reads typed fields from one JSON document, recording an exact error (file, id, path) for each bad one. Public
/// because each module's data parses itself with it (<see cref="Modules.IModuleData{TSelf}.Parse"/>); only the
/// loader makes one.
/// </summary>
public sealed class DocumentReader
{
    private readonly List<ConfigError> _errors;

    internal DocumentReader(string file, string? documentId, List<ConfigError> errors)
    {
        File = file;
        DocumentId = documentId;
        _errors = errors;
    }

    public string File { get; }
    public string? DocumentId { get; }

    public void Error(string path, string reason) => _errors.Add(new ConfigError(File, DocumentId, path, reason));

    public static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        value = default;
        return obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    public string? String(JsonElement obj, string name, string path, bool required = false, Func<string, string?>? check = null)
    {
        if (!TryGet(obj, name, out var value))
        {
            if (required)
            {
                Error($"{path}.{name}", "is required");
            }
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            Error($"{path}.{name}", $"must be a string, not {Describe(value)}");
            return null;
        }
        var text = value.GetString()!;
        if (check?.Invoke(text) is { } reason)
        {
            Error($"{path}.{name}", $"'{Printable(text)}' {reason}");
            return null;
        }
        return text;
    }

    public int Int(JsonElement obj, string name, string path, int fallback, int min, int max)
    {
        if (!TryGet(obj, name, out var value))
        {
            return fallback;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            Error($"{path}.{name}", IsWholeNumber(value)
                ? $"{Printable(value.GetRawText())} is out of range {min}..{max}"
                : $"must be an integer, not {Describe(value)}");
            return fallback;
        }
        if (number < min || number > max)
        {
            Error($"{path}.{name}", $"{number} is out of range {min}..{max}");
            return fallback;
        }
        return number;
    }

    public int? OptionalInt(JsonElement obj, string name, string path, int min, int max) =>
        TryGet(obj, name, out _) ? Int(obj, name, path, 0, min, max) : null;

    public bool Bool(JsonElement obj, string name, string path, bool fallback)
    {
        if (!TryGet(obj, name, out var value))
        {
            return fallback;
        }
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Error($"{path}.{name}", $"must be true or false, not {Describe(value)}");
            return fallback;
        }
        return value.GetBoolean();
    }

    /// <summary>An object member that itself must be an object (absent is fine).</summary>
    public JsonElement? Object(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            Error($"{path}.{name}", $"must be an object, not {Describe(value)}");
            return null;
        }
        return value;
    }

    public T? Enum<T>(JsonElement obj, string name, string path, IReadOnlyDictionary<string, T> values, T? fallback, bool required = false)
        where T : struct
    {
        var text = String(obj, name, path, required);
        if (text is null)
        {
            return fallback;
        }
        if (values.TryGetValue(text, out var parsed))
        {
            return parsed;
        }
        Error($"{path}.{name}", $"'{Printable(text)}' is not one of {string.Join(", ", values.Keys.Select(k => $"'{k}'"))}");
        return fallback;
    }

    /// <summary>A number written as digits only (an optional minus): an integer, however large.</summary>
    private static bool IsWholeNumber(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            return false;
        }
        var text = value.GetRawText().AsSpan();
        text = text.StartsWith("-") ? text[1..] : text;
        return !text.IsEmpty && !text.ContainsAnyExcept(Digits);
    }

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static string Printable(string text)
    {
        var shown = text.Length > 60 ? text[..60] + "…" : text;
        return shown.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
    }
}
