using EslCallflow.Esl.Protocol;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Esl.Internal;

internal sealed partial class EslConnection
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Trace, Message = "ESL {ConnectionId} >> {Command}")]
    private static partial void LogSend(ILogger logger, string connectionId, string command);

    // Debug: whoever owns the connection reports its end once, with the peer (the listener, the reconnecting client).
    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "ESL protocol error on {ConnectionId}: {Reason}; closing the connection")]
    private static partial void LogProtocolError(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "ESL {ConnectionId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "ESL {ConnectionId} disconnect notice ({Disposition})")]
    private static partial void LogDisconnectNotice(ILogger logger, string connectionId, string disposition);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Trace, Message = "ESL {ConnectionId} log/data: {Text}")]
    private static partial void LogLogData(ILogger logger, string connectionId, string text);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "ESL {ConnectionId}: ignoring {Format} events, a format this connection did not ask for (further ones are logged at debug level)")]
    private static partial void LogUnrequestedEventFormat(ILogger logger, string connectionId, string format);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "ESL {ConnectionId}: ignoring another {Format} event ({Count} so far)")]
    private static partial void LogUnrequestedEventFormatAgain(ILogger logger, string connectionId, EslContentType format, int count);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "ESL {ConnectionId}: the call hung up and {Count} application(s) it was sent will not complete (FreeSWITCH runs none on a hung-up channel); given up after {Grace}")]
    private static partial void LogExecutionsGivenUp(ILogger logger, string connectionId, int count, TimeSpan grace);
}
