namespace EslCallflow.Esl.Messages;

/// <summary>The body of a BACKGROUND_JOB: <c>+OK ...</c> on success, <c>-ERR cause</c> on failure.</summary>
public sealed record EslBackgroundJobResult(string JobUuid, string Body)
{
    public bool IsSuccess => !Body.StartsWith("-ERR", StringComparison.Ordinal);

    /// <summary>The text after <c>+OK</c>/<c>-ERR</c>, trimmed (for originate: the new UUID, or the hangup cause).</summary>
    public string Detail => Body.Length >= 4 && (Body.StartsWith("+OK", StringComparison.Ordinal) || !IsSuccess)
        ? Body[(IsSuccess ? 3 : 4)..].Trim()
        : Body.Trim();
}
