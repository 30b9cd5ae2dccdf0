using System.Text.Json;

namespace EslCallflow.Callflows.Loading;

/// <summary>
/// JSON lets a string or key hold an escaped lone surrogate (<c>"\ud800"</c>): it parses, but System.Text.Json
/// throws when asked for it as .NET text. A document holding one anywhere (unknown keys included, as they are
/// kept) is refused at load, so nothing later trips over it.
/// </summary>
internal static class UndecodableText
{
    public const string Reason = "holds an escaped lone UTF-16 surrogate (such as \\ud800), which is not text; write the character itself or a complete surrogate pair";

    /// <summary>The JSON path of the first string or key that cannot be read as text, or null when all can.</summary>
    public static string? Find(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(element) ? null : path;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return $"{path} (a key)";
                    }
                    if (Find(property.Value, $"{path}.{name}") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>The document's id when it can be read, for the error line; null otherwise.</summary>
    public static string? IdOf(JsonElement document)
    {
        foreach (var property in document.EnumerateObject())
        {
            try
            {
                if (property.Name == "id" && property.Value.ValueKind == JsonValueKind.String)
                {
                    return property.Value.GetString();
                }
            }
            catch (InvalidOperationException)
            {
                // This key or the id itself is the bad text; the error line goes without an id.
            }
        }
        return null;
    }

    private static bool Decodes(JsonElement text)
    {
        try
        {
            _ = text.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
