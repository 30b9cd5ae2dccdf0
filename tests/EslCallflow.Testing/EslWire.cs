using System.Text;
using System.Text.Json;

namespace EslCallflow.Testing;

/// <summary>Builds the bytes FreeSWITCH's mod_event_socket writes, in the shapes the transcripts show.</summary>
public static class EslWire
{
    public static byte[] AuthRequest() => "Content-Type: auth/request\n\n"u8.ToArray();

    public static byte[] CommandReply(string replyText, params (string Name, string Value)[] extra)
    {
        var text = new StringBuilder("Content-Type: command/reply\nReply-Text: ").Append(replyText).Append('\n');
        foreach (var (name, value) in extra)
        {
            text.Append(name).Append(": ").Append(value).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.Append('\n').ToString());
    }

    public static byte[] ApiResponse(string body) => WithBody("api/response", body);

    public static byte[] DisconnectNotice(string uuid, string disposition, bool lingerNotice = false) => lingerNotice
        ? Encoding.UTF8.GetBytes($"Content-Type: text/disconnect-notice\nControlled-Session-UUID: {uuid}\nContent-Disposition: linger\nChannel-Name: sofia/internal/x\nLinger-Time: 5\nContent-Length: 0\n\n")
        : Encoding.UTF8.GetBytes($"Content-Type: text/disconnect-notice\nControlled-Session-UUID: {uuid}\nContent-Disposition: {disposition}\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n");

    public static byte[] JsonEvent(IReadOnlyDictionary<string, string> headers) =>
        WithBody("text/event-json", JsonSerializer.Serialize(headers), contentLengthFirst: true);

    public static byte[] PlainEvent(IReadOnlyDictionary<string, string> headers, string? body = null)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(": ").Append(UrlEncode(value)).Append('\n');
        }
        if (body is not null)
        {
            text.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\n\n").Append(body);
        }
        else
        {
            text.Append('\n');
        }
        return WithBody("text/event-plain", text.ToString(), contentLengthFirst: true);
    }

    /// <summary>The outbound connect reply: a command/reply whose headers are the channel data, url-encoded.</summary>
    public static byte[] ChannelDataReply(IEnumerable<KeyValuePair<string, string>> channelData)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in channelData)
        {
            text.Append(name).Append(": ").Append(UrlEncode(value)).Append('\n');
        }
        text.Append("Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static string UrlEncode(string value) => Uri.EscapeDataString(value).Replace("%40", "@", StringComparison.Ordinal);

    private static byte[] WithBody(string contentType, string body, bool contentLengthFirst = false)
    {
        var length = Encoding.UTF8.GetByteCount(body);
        var head = contentLengthFirst
            ? $"Content-Length: {length}\nContent-Type: {contentType}\n\n"
            : $"Content-Type: {contentType}\nContent-Length: {length}\n\n";
        return Encoding.UTF8.GetBytes(head + body);
    }
}
