using System.Buffers;
using System.Text;

namespace EslCallflow.Esl.Internal;

/// <summary>
/// One command as it goes onto the socket: plain text, or a <c>sendmsg</c> execute written from its parts, so
/// that a bridge's argument (kilobytes of dial string) is encoded once, into the pipe, and never copied into
/// a command string first. The parts are checked by the caller (one line each).
/// </summary>
internal readonly struct EslCommand
{
    private readonly string? _text;
    private readonly string? _application;
    private readonly string? _argument;
    private readonly string? _eventUuidText;

    private EslCommand(string? text, string? application, string? argument, string? eventUuidText)
    {
        _text = text;
        _application = application;
        _argument = argument;
        _eventUuidText = eventUuidText;
    }

    public static EslCommand Text(string text) => new(text, null, null, null);

    /// <summary>
    /// A command with a body (<c>sendevent</c>): the header block, a Content-Length in bytes, the blank line, then
    /// exactly that many bytes of body and nothing after them (the switch reads the body by its length).
    /// </summary>
    public static EslCommand WithBody(string headerBlock, string body) => new(headerBlock, null, body, null);

    /// <summary>The command's text, for a plain-text command; null for an execute.</summary>
    public string? PlainText => _text;

    /// <summary>An execute whose completion is awaited: its Event-UUID is the key the completion comes back under.</summary>
    public static EslCommand Execute(string application, string? argument, string eventUuid) => new(null, application, argument, eventUuid);

    /// <summary>An execute queued ahead of another, whose completion nobody waits for: no Event-UUID (the switch makes one).</summary>
    public static EslCommand Execute(string application, string? argument) => new(null, application, argument, null);

    /// <summary>Writes the command and the blank line that ends it.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        if (_text is not null && _argument is not null)
        {
            Encoding.UTF8.GetBytes(_text, output);
            Encoding.UTF8.GetBytes($"\nContent-Length: {Encoding.UTF8.GetByteCount(_argument)}\n\n", output);
            Encoding.UTF8.GetBytes(_argument, output);
            return;
        }
        if (_text is not null)
        {
            Encoding.UTF8.GetBytes(_text, output);
        }
        else
        {
            output.Write("sendmsg\ncall-command: execute\nexecute-app-name: "u8);
            Encoding.UTF8.GetBytes(_application, output);
            if (_eventUuidText is not null)
            {
                output.Write("\nevent-uuid: "u8);
                Encoding.UTF8.GetBytes(_eventUuidText, output);
            }
            if (_argument is not null)
            {
                var length = Encoding.UTF8.GetByteCount(_argument);
                if (length > BodyThreshold)
                {
                    // mod_event_socket.c read_packet reads a command's header block one byte per recv() (and yields
                    // between bytes) but a Content-Length body in one; switch_ivr_parse_event (switch_ivr.c) takes a
                    // text/plain body as the argument when execute-app-arg is absent. A bridge's dial string is
                    // hundreds of bytes: as a header it cost FreeSWITCH about a millisecond to read, in the
                    // channel's own thread when the socket application runs without async.
                    output.Write("\ncontent-type: text/plain\ncontent-length: "u8);
                    length.TryFormat(output.GetSpan(11), out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
                    output.Advance(digits);
                    output.Write("\n\n"u8);
                    Encoding.UTF8.GetBytes(_argument, output);
                    return;
                }
                output.Write("\nexecute-app-arg: "u8);
                Encoding.UTF8.GetBytes(_argument, output);
            }
        }
        output.Write("\n\n"u8);
    }

    /// <summary>
    /// Above this many bytes an execute's argument goes as a body: below it the two headers a body needs
    /// (about 45 bytes) cost more to read than they save.
    /// </summary>
    internal const int BodyThreshold = 64;

    /// <summary>The command's text as written, without its blank line (for trace logs and errors).</summary>
    public override string ToString()
    {
        if (_text is not null)
        {
            return _argument is null ? _text : $"{_text}\n(body {_argument.Length} chars)";
        }
        var written = new ArrayBufferWriter<byte>();
        WriteTo(written);
        var text = written.WrittenSpan;
        return Encoding.UTF8.GetString(text.EndsWith("\n\n"u8) ? text[..^2] : text);
    }
}
