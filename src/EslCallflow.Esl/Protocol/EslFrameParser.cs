using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// Cuts whole ESL frames out of a byte sequence: header lines up to a blank line, then exactly
/// Content-Length bytes. Works on any split of the stream; bytes are decoded only once a frame is whole.
/// </summary>
public static class EslFrameParser
{
    private static ReadOnlySpan<byte> ContentLengthName => "Content-Length"u8;

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/> and slices it off. Returns false when
    /// more bytes are needed. Throws <see cref="EslProtocolException"/> on bytes that can never be a frame.
    /// </summary>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, EslFrameLimits limits, out EslFrame? frame)
    {
        frame = null;
        var reader = new SequenceReader<byte>(buffer);
        var headers = new Dictionary<string, string>(8, StringComparer.Ordinal);
        var contentLength = 0;

        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                if (reader.Remaining > limits.MaxHeaderBytes)
                {
                    throw new EslProtocolException($"header block exceeds {limits.MaxHeaderBytes} bytes without a blank line");
                }
                return false;
            }

            if (reader.Consumed > limits.MaxHeaderBytes)
            {
                throw new EslProtocolException($"header block exceeds {limits.MaxHeaderBytes} bytes without a blank line");
            }

            if (line.Length == 0 || (line.Length == 1 && line.FirstSpan[0] == (byte)'\r'))
            {
                if (headers.Count == 0)
                {
                    // Stray newline between frames: tolerated, as FreeSWITCH itself does.
                    buffer = buffer.Slice(reader.Position);
                    continue;
                }
                break;
            }

            var (name, value, isContentLength) = ParseHeaderLine(line);
            if (isContentLength)
            {
                contentLength = ParseContentLength(value, limits);
            }
            headers[name] = value;
        }

        if (reader.Remaining < contentLength)
        {
            return false;
        }

        var contentTypeText = headers.GetValueOrDefault("Content-Type");
        if (!EslContentTypes.TryParse(contentTypeText, out var contentType))
        {
            throw new EslProtocolException(contentTypeText is null
                ? "frame without a Content-Type header"
                : $"unknown Content-Type '{contentTypeText}'");
        }

        var body = contentLength == 0 ? ReadOnlyMemory<byte>.Empty : reader.UnreadSequence.Slice(0, contentLength).ToArray();
        reader.Advance(contentLength);
        buffer = buffer.Slice(reader.Position);
        frame = new EslFrame(contentType, EslHeaders.Wrap(headers), body);
        return true;
    }

    /// <summary>Parses a block of <c>Name: value</c> lines (the body of a text/event-plain frame).</summary>
    internal static Dictionary<string, string> ParseHeaderBlock(ReadOnlySpan<byte> block, out ReadOnlySpan<byte> rest)
    {
        var headers = new Dictionary<string, string>(96, StringComparer.Ordinal);
        while (!block.IsEmpty)
        {
            var end = block.IndexOf((byte)'\n');
            var line = end < 0 ? block : block[..end];
            block = end < 0 ? [] : block[(end + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            if (line.IsEmpty)
            {
                break;
            }
            var (name, value, _) = ParseHeaderLine(line);
            headers[name] = value;
        }
        rest = block;
        return headers;
    }

    private static (string Name, string Value, bool IsContentLength) ParseHeaderLine(ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            return ParseHeaderLine(line.FirstSpan);
        }
        var length = (int)line.Length;
        var copy = length <= 1024 ? stackalloc byte[length] : new byte[length];
        line.CopyTo(copy);
        return ParseHeaderLine(copy);
    }

    private static (string Name, string Value, bool IsContentLength) ParseHeaderLine(ReadOnlySpan<byte> line)
    {
        if (line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            throw new EslProtocolException($"malformed header line '{Printable(line)}'");
        }
        var nameBytes = line[..colon];
        var valueBytes = line[(colon + 1)..];
        while (!valueBytes.IsEmpty && valueBytes[0] == (byte)' ')
        {
            valueBytes = valueBytes[1..];
        }
        var isContentLength = nameBytes.SequenceEqual(ContentLengthName);
        return (Encoding.ASCII.GetString(nameBytes), PercentDecoding.Decode(valueBytes), isContentLength);
    }

    private static int ParseContentLength(string value, EslFrameLimits limits)
    {
        if (!Utf8Parser.TryParse(Encoding.ASCII.GetBytes(value), out long length, out var used) || used != value.Length || length < 0)
        {
            throw new EslProtocolException($"invalid Content-Length '{value}'");
        }
        if (length > limits.MaxBodyBytes)
        {
            throw new EslProtocolException($"Content-Length {length} exceeds the limit of {limits.MaxBodyBytes} bytes");
        }
        return (int)length;
    }

    private static string Printable(ReadOnlySpan<byte> line)
    {
        var text = Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)]);
        return text.Replace("\r", "\\r", StringComparison.Ordinal);
    }
}
