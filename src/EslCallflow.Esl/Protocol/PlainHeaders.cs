using System.Buffers.Text;
using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// The walker for <c>Name: url-encoded value</c> lines, the format of every frame's header block and of a
/// text/event-plain body (mod_event_socket.c and switch_event_serialize: LF or CRLF, the value url-encoded with
/// switch_url_encode, a blank line ending the block).
/// </summary>
internal static class PlainHeaders
{
    private static ReadOnlySpan<byte> ContentLength => "Content-Length"u8;

    /// <summary>
    /// Hands each line of <paramref name="block"/> to <paramref name="sink"/>, up to the blank line that ends the
    /// block or its end; returns what follows that blank line (a plain event's body). <paramref name="contentLength"/>
    /// is the block's own Content-Length header, which says how much of it is a body.
    /// </summary>
    /// <exception cref="EslProtocolException">A line without a colon.</exception>
    public static ReadOnlySpan<byte> Walk<TSink>(ReadOnlySpan<byte> block, ref TSink sink, out WireHeader? contentLength)
        where TSink : struct, IHeaderSink
    {
        contentLength = null;
        var at = 0;
        while (at < block.Length)
        {
            var newline = block[at..].IndexOf((byte)'\n');
            var next = newline < 0 ? block.Length : at + newline + 1;
            var line = block[at..(newline < 0 ? block.Length : at + newline)];
            if (line.IsEmpty || (line.Length == 1 && line[0] == (byte)'\r'))
            {
                return block[next..];
            }
            Split(line, out var colon, out var valueStart, out var valueLength);
            var value = line.Slice(valueStart, valueLength);
            var header = new WireHeader(at, colon, at + valueStart, valueLength, false, value.Contains((byte)'%') ? WireEncoding.Percent : WireEncoding.Verbatim);
            if (colon == ContentLength.Length && line[..colon].SequenceEqual(ContentLength))
            {
                contentLength = header;
            }
            sink.Add(block, header);
            at = next;
        }
        return [];
    }

    /// <summary>A plain event's body: as many bytes of <paramref name="rest"/> as its Content-Length says; null without one.</summary>
    /// <exception cref="EslProtocolException">A Content-Length that is not a number or runs past the bytes there are.</exception>
    public static string? Body(ReadOnlySpan<byte> block, WireHeader? contentLength, ReadOnlySpan<byte> rest)
    {
        if (contentLength is not { } header)
        {
            return null;
        }
        var digits = header.Value(block);
        if (!Utf8Parser.TryParse(digits, out int length, out var used) || used != digits.Length || length < 0 || length > rest.Length)
        {
            throw new EslProtocolException($"event body Content-Length '{ControlCharacters.Escape(header.ValueText(block))}' does not fit the {rest.Length} bytes left");
        }
        return Encoding.UTF8.GetString(rest[..length]);
    }

    /// <summary>Where a <c>Name: value</c> line's colon is, and its value (a trailing CR and the spaces after the colon left out).</summary>
    /// <exception cref="EslProtocolException">No colon, or nothing before it.</exception>
    public static void Split(ReadOnlySpan<byte> line, out int colon, out int valueStart, out int valueLength)
    {
        var end = line.Length > 0 && line[^1] == (byte)'\r' ? line.Length - 1 : line.Length;
        colon = line[..end].IndexOf((byte)':');
        if (colon <= 0)
        {
            throw new EslProtocolException($"malformed header line '{ControlCharacters.Escape(Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)]))}'");
        }
        valueStart = colon + 1;
        while (valueStart < end && line[valueStart] == (byte)' ')
        {
            valueStart++;
        }
        valueLength = end - valueStart;
    }
}
