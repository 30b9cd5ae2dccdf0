namespace EslCallflow.Esl.Protocol;

/// <summary>The Content-Type values mod_event_socket sends.</summary>
public enum EslContentType
{
    AuthRequest,
    CommandReply,
    ApiResponse,
    EventPlain,
    EventJson,
    EventXml,
    LogData,
    DisconnectNotice,
    RudeRejection,
}

public static class EslContentTypes
{
    public static bool TryParse(string? value, out EslContentType type)
    {
        switch (value)
        {
            case "auth/request": type = EslContentType.AuthRequest; return true;
            case "command/reply": type = EslContentType.CommandReply; return true;
            case "api/response": type = EslContentType.ApiResponse; return true;
            case "text/event-plain": type = EslContentType.EventPlain; return true;
            case "text/event-json": type = EslContentType.EventJson; return true;
            case "text/event-xml": type = EslContentType.EventXml; return true;
            case "log/data": type = EslContentType.LogData; return true;
            case "text/disconnect-notice": type = EslContentType.DisconnectNotice; return true;
            case "text/rude-rejection": type = EslContentType.RudeRejection; return true;
            default: type = default; return false;
        }
    }
}
