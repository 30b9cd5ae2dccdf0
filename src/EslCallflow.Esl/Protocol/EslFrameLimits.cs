namespace EslCallflow.Esl.Protocol;

/// <summary>Bounds on what one peer may make us buffer. Past them the connection is closed.</summary>
internal sealed record EslFrameLimits
{
    public static readonly EslFrameLimits Default = new();

    /// <summary>Largest header block (all lines up to the blank line). The outbound connect reply is ~4 KB.</summary>
    public int MaxHeaderBytes { get; init; } = 64 * 1024;

    /// <summary>Largest Content-Length accepted. A busy <c>show channels as json</c> can be several MB.</summary>
    public int MaxBodyBytes { get; init; } = 16 * 1024 * 1024;
}
