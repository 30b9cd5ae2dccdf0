using EslCallflow.Esl.Messages;

namespace EslCallflow.Esl.Inbound;

/// <summary>What a <see cref="EslReconnectingInboundClient"/> reports, in wire order.</summary>
public abstract record EslInboundSignal
{
    private EslInboundSignal() { }

    /// <summary>Logged in and subscribed. <paramref name="IsReconnect"/>: state built from the old link must be rebuilt.</summary>
    public sealed record Connected(int Generation, bool IsReconnect, EslInboundClient Client) : EslInboundSignal;

    public sealed record Received(int Generation, EslEvent Event) : EslInboundSignal;

    public sealed record Disconnected(int Generation, string Reason) : EslInboundSignal;
}
