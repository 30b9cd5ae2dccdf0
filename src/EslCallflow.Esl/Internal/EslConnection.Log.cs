using Microsoft.Extensions.Logging;

namespace EslCallflow.Esl.Internal;

internal sealed partial class EslConnection
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Trace, Message = "ESL {ConnectionId} >> {Command}")]
    private static partial void LogSend(ILogger logger, string connectionId, string command);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "ESL protocol error on {ConnectionId}: {Reason}; closing the connection")]
    private static partial void LogProtocolError(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "ESL {ConnectionId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "ESL {ConnectionId} disconnect notice ({Disposition})")]
    private static partial void LogDisconnectNotice(ILogger logger, string connectionId, string disposition);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Trace, Message = "ESL {ConnectionId} log/data: {Text}")]
    private static partial void LogLogData(ILogger logger, string connectionId, string text);
}
