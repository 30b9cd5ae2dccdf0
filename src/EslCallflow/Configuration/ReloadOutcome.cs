using EslCallflow.Callflows.Loading;

namespace EslCallflow.Configuration;

public enum ReloadStatus
{
    /// <summary>Valid and swapped in: new calls use it.</summary>
    Applied,

    /// <summary>Not valid: the errors say why; the last good configuration stays.</summary>
    Invalid,

    /// <summary>Valid but it would drop too many callflows at once; applied only when forced.</summary>
    Refused,
}

/// <summary>What one reload did; every request coalesced into it gets the same outcome.</summary>
public sealed record ReloadOutcome(ReloadStatus Status, IReadOnlyList<ConfigError> Errors, string? Refusal, int Callflows)
{
    public static ReloadOutcome Applied(int callflows) => new(ReloadStatus.Applied, [], null, callflows);

    public static ReloadOutcome Invalid(IReadOnlyList<ConfigError> errors) => new(ReloadStatus.Invalid, errors, null, 0);

    public static ReloadOutcome Refused(string refusal, int callflows) => new(ReloadStatus.Refused, [], refusal, callflows);
}
