namespace EslCallflow.Esl.Inbound;

/// <summary>The events (and filters) re-applied after every (re)connect.</summary>
public sealed record EslSubscription(EslEventFormat Format, IReadOnlyList<string> EventNames)
{
    public IReadOnlyList<KeyValuePair<string, string>> Filters { get; init; } = [];

    /// <summary>The only event headers the consumer reads (see <see cref="EslSocket.KeepOnlyEventHeaders"/>); null keeps all.</summary>
    public IReadOnlyList<string>? EventHeaders { get; init; }
}
