using EslCallflow.Esl.Messages;

namespace EslCallflow.Esl.Inbound;

/// <summary>
/// What a <see cref="EslReconnectingInboundClient"/> reports, in wire order: a link made (<see cref="Connected"/>), an
/// event received on it (<see cref="Event"/>), or the link lost (<see cref="Disconnected"/>). Exactly one is set.
/// </summary>
public sealed class EslInboundSignal
{
    private EslInboundSignal()
    {
    }

    /// <summary>Which link this is about: 1 for the first, one more for each reconnect.</summary>
    public int Generation { get; private init; }

    /// <summary>Logged in and subscribed: the new link's client.</summary>
    public EslInboundClient? Connected { get; private init; }

    /// <summary>A link made again after one was lost: state built from the old link must be rebuilt.</summary>
    public bool IsReconnect => Connected is not null && Generation > 1;

    /// <summary>An event, in the order the link received it.</summary>
    public EslEvent? Event { get; private init; }

    /// <summary>The link was lost: why. A new one is being made.</summary>
    public string? Disconnected { get; private init; }

    internal static EslInboundSignal Connect(int generation, EslInboundClient client) => new() { Generation = generation, Connected = client };

    internal static EslInboundSignal Received(int generation, EslEvent evt) => new() { Generation = generation, Event = evt };

    internal static EslInboundSignal Lost(int generation, string reason) => new() { Generation = generation, Disconnected = reason };

    public override string ToString() =>
        Connected is not null ? $"connected (generation {Generation})"
        : Event is not null ? $"event {Event} (generation {Generation})"
        : $"disconnected (generation {Generation}): {Disconnected}";
}
