using System.Net;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Dialplan;

/// <summary>The fetch endpoint's own log lines (8xxx); what a call does is told by the reports both ways in share.</summary>
internal static partial class DialplanLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Dialplan fetches on {Address} (mod_xml_curl gateway-url; contexts {Contexts}; basic authentication {Authentication})")]
    public static partial void Listening(ILogger logger, Uri address, string contexts, string authentication);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Dialplan fetch from {Peer} refused: {Reason}")]
    public static partial void Refused(ILogger logger, IPAddress? peer, string reason);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Error, Message = "Dialplan fetch failed ({Reason}); answering \"not found\"")]
    public static partial void FetchFailed(ILogger logger, Exception ex, string reason);
}
