namespace EslCallflow.Callflows.Loading;

/// <summary>One reason a configuration was refused: which file, which document, which field, and why.</summary>
public sealed record ConfigError(string File, string? DocumentId, string Path, string Reason)
{
    public override string ToString() =>
        $"{File}: {(DocumentId is null ? "" : $"document '{DocumentId}' ")}{(Path.Length == 0 ? "" : $"{Path}: ")}{Reason}";
}
