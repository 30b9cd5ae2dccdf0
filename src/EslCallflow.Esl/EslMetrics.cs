using System.Diagnostics.Metrics;

namespace EslCallflow.Esl;

/// <summary>
/// The library's counters, on the <see cref="Meter"/> named <see cref="MeterName"/> (System.Diagnostics.Metrics):
/// a MeterListener, OpenTelemetry or dotnet-counters reads them. Each counter counts a time the library protected
/// itself from a peer, so a rising one is worth a look, and carries a <c>reason</c> tag; the histogram times a call's
/// decision. The outbound listener's measurements also carry <c>server.port</c>, the port it listens on.
/// </summary>
public static class EslMetrics
{
    public const string MeterName = "EslCallflow.Esl";

    /// <summary>Outbound connections closed as they arrived (reason: <c>max_sessions</c>, <c>peer_not_allowed</c>).</summary>
    public const string SessionsRefusedName = "eslcallflow.esl.outbound.sessions_refused";

    /// <summary>
    /// Outbound connections closed by the listener after it took them (reason: <c>handshake</c> for one that never
    /// became a call, <c>idle</c>, <c>frame_limit</c>, <c>protocol_error</c>).
    /// </summary>
    public const string SessionsClosedName = "eslcallflow.esl.outbound.sessions_closed";

    /// <summary>Events not decoded (reason: <c>unrequested_format</c>, a format the connection never asked for).</summary>
    public const string EventsSkippedName = "eslcallflow.esl.events_skipped";

    /// <summary>
    /// Events dropped because their consumer fell behind and its queue was full (reason: <c>consumer_behind</c>).
    /// The reconnecting inbound client then closes the link so the consumer reconnects and rebuilds its state.
    /// </summary>
    public const string EventsDroppedName = "eslcallflow.esl.events_dropped";

    /// <summary>
    /// Seconds from an outbound session's <c>connect</c> reply being read off the socket to its first batch of
    /// executes (<see cref="Outbound.EslOutboundSession.ExecuteAllAsync"/>) being written to it: how long the
    /// handler took to decide what the call does. Tagged with <c>application</c>, the batch's last (awaited)
    /// application, and <c>server.port</c>.
    /// </summary>
    public const string FirstExecuteDelayName = "eslcallflow.esl.outbound.first_execute_delay";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> SessionsRefused = Meter.CreateCounter<long>(SessionsRefusedName, "{connection}", "Outbound connections closed as they arrived.");

    internal static readonly Counter<long> SessionsClosed = Meter.CreateCounter<long>(SessionsClosedName, "{connection}", "Outbound connections closed by a limit or for bad input.");

    internal static readonly Counter<long> EventsSkipped = Meter.CreateCounter<long>(EventsSkippedName, "{event}", "Events not decoded.");

    internal static readonly Counter<long> EventsDropped = Meter.CreateCounter<long>(EventsDroppedName, "{event}", "Events dropped because their consumer fell behind.");

    internal static readonly Histogram<double> FirstExecuteDelay = Meter.CreateHistogram<double>(FirstExecuteDelayName, "s", "From a call session's connect reply to its first executes written.");
}
