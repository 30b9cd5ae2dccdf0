using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>One ESL message: its header block and the exact Content-Length bytes that followed it.</summary>
internal sealed class EslFrame
{
    public EslFrame(EslContentType contentType, EslHeaders headers, ReadOnlyMemory<byte> body)
    {
        ContentType = contentType;
        Headers = headers;
        Body = body;
    }

    public EslContentType ContentType { get; }
    public EslHeaders Headers { get; }
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>When the read loop cut this frame from the socket (<see cref="System.Diagnostics.Stopwatch"/> timestamp; 0 if it never came off a socket).</summary>
    public long ReceivedAt { get; internal set; }

    public string BodyText => Body.IsEmpty ? string.Empty : Encoding.UTF8.GetString(Body.Span);

    /// <summary>Reply-Text of a command/reply, trimmed of the trailing newline FreeSWITCH sometimes adds.</summary>
    public string ReplyText => (Headers["Reply-Text"] ?? string.Empty).TrimEnd('\n', '\r');

    public bool IsOk => ContentType == EslContentType.CommandReply
        ? ReplyText.StartsWith("+OK", StringComparison.Ordinal)
        : !BodyText.StartsWith("-ERR", StringComparison.Ordinal);
}
