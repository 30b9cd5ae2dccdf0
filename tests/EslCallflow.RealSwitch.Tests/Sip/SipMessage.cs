using System.Globalization;
using System.Text;

namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>
/// One SIP message (RFC 3261 section 7), as parsed from a datagram or built to be sent: the start line, the
/// headers in order (a name may repeat), and the body. Only what a loopback phone needs.
/// </summary>
public sealed class SipMessage
{
    // RFC 3261 section 7.3.3: the compact header forms a peer may use.
    private static readonly Dictionary<string, string> CompactForms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["v"] = "Via", ["f"] = "From", ["t"] = "To", ["i"] = "Call-ID", ["m"] = "Contact",
        ["l"] = "Content-Length", ["c"] = "Content-Type", ["k"] = "Supported", ["s"] = "Subject", ["o"] = "Event",
    };

    private readonly List<KeyValuePair<string, string>> _headers = [];

    private SipMessage(string? method, string? requestUri, int statusCode, string? reason)
    {
        Method = method;
        RequestUri = requestUri;
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>The request's method, or null for a response.</summary>
    public string? Method { get; }

    public string? RequestUri { get; }

    /// <summary>The response's status code, or 0 for a request.</summary>
    public int StatusCode { get; }

    public string? Reason { get; }

    public string Body { get; set; } = string.Empty;

    public bool IsRequest => Method is not null;

    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    public static SipMessage Request(string method, string requestUri) => new(method, requestUri, 0, null);

    public static SipMessage Response(int statusCode, string reason) => new(null, null, statusCode, reason);

    public string? this[string name] => _headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> All(string name) =>
        _headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public SipMessage Add(string name, string value)
    {
        _headers.Add(new(name, value));
        return this;
    }

    /// <summary>The CSeq method (the transaction's method, also for responses).</summary>
    public string CSeqMethod => (this["CSeq"] ?? "0 NONE").Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];

    public int CSeqNumber => int.Parse((this["CSeq"] ?? "0").Split(' ', 2)[0], CultureInfo.InvariantCulture);

    public string CallId => this["Call-ID"] ?? string.Empty;

    /// <summary>The branch of the topmost Via: with the CSeq method, it names the transaction.</summary>
    public string Branch => SipHeader.Parameter(this["Via"] ?? string.Empty, "branch") ?? string.Empty;

    public string TransactionKey => Branch + "|" + (CSeqMethod == "ACK" ? "INVITE" : CSeqMethod);

    public bool HasSdp => Body.Length > 0 && (this["Content-Type"] ?? string.Empty).Contains("application/sdp", StringComparison.OrdinalIgnoreCase);

    public byte[] ToBytes()
    {
        var body = Encoding.UTF8.GetBytes(Body);
        var text = new StringBuilder(512);
        text.Append(IsRequest ? $"{Method} {RequestUri} SIP/2.0" : $"SIP/2.0 {StatusCode.ToString(CultureInfo.InvariantCulture)} {Reason}").Append("\r\n");
        foreach (var (name, value) in _headers)
        {
            if (!string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }
        text.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        var head = Encoding.UTF8.GetBytes(text.ToString());
        return [.. head, .. body];
    }

    public override string ToString() => Encoding.UTF8.GetString(ToBytes());

    /// <summary>Parses one datagram; null when it is not a SIP message (a keep-alive, garbage).</summary>
    public static SipMessage? Parse(ReadOnlySpan<byte> datagram)
    {
        var end = datagram.IndexOf("\r\n\r\n"u8);
        var separator = 4;
        if (end < 0)
        {
            end = datagram.IndexOf("\n\n"u8);
            separator = 2;
        }
        if (end < 0)
        {
            return null;
        }
        var head = Encoding.UTF8.GetString(datagram[..end]).Replace("\r\n", "\n", StringComparison.Ordinal);
        var lines = new List<string>();
        foreach (var line in head.Split('\n'))
        {
            // Header folding (RFC 3261 section 7.3.1): a line starting with white space continues the previous one.
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t') && lines.Count > 1)
            {
                lines[^1] += " " + line.Trim();
            }
            else
            {
                lines.Add(line);
            }
        }
        if (lines.Count == 0)
        {
            return null;
        }
        var start = lines[0].Split(' ', 3);
        SipMessage message;
        if (start[0] == "SIP/2.0" && start.Length >= 2 && int.TryParse(start[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            message = Response(code, start.Length > 2 ? start[2] : string.Empty);
        }
        else if (start.Length == 3 && start[2] == "SIP/2.0")
        {
            message = Request(start[0], start[1]);
        }
        else
        {
            return null;
        }
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            var name = line[..colon].Trim();
            message.Add(CompactForms.GetValueOrDefault(name, name), line[(colon + 1)..].Trim());
        }
        var rest = datagram[(end + separator)..];
        var length = int.TryParse(message["Content-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var declared) ? Math.Min(declared, rest.Length) : rest.Length;
        message.Body = Encoding.UTF8.GetString(rest[..length]);
        return message;
    }
}
