namespace EslCallflow.Esl.Protocol;

/// <summary>The Content-Type values mod_event_socket sends.</summary>
internal enum EslContentType
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

internal static class EslContentTypes
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

    /// <summary>The same, on the header value's bytes as they came off the socket (no string for known types).</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out EslContentType type)
    {
        foreach (var (wire, known) in Known)
        {
            if (value.SequenceEqual(wire))
            {
                type = known;
                return true;
            }
        }
        type = default;
        return false;
    }

    // Events first: they are most of the traffic.
    private static readonly (byte[] Wire, EslContentType Type)[] Known =
    [
        ("text/event-json"u8.ToArray(), EslContentType.EventJson),
        ("text/event-plain"u8.ToArray(), EslContentType.EventPlain),
        ("command/reply"u8.ToArray(), EslContentType.CommandReply),
        ("api/response"u8.ToArray(), EslContentType.ApiResponse),
        ("text/event-xml"u8.ToArray(), EslContentType.EventXml),
        ("auth/request"u8.ToArray(), EslContentType.AuthRequest),
        ("log/data"u8.ToArray(), EslContentType.LogData),
        ("text/disconnect-notice"u8.ToArray(), EslContentType.DisconnectNotice),
        ("text/rude-rejection"u8.ToArray(), EslContentType.RudeRejection),
    ];
}
