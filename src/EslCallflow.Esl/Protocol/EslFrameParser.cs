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
    private static ReadOnlySpan<byte> ContentTypeName => "Content-Type"u8;

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/> and slices it off. Returns false when
    /// more bytes are needed. Throws <see cref="EslProtocolException"/> on bytes that can never be a frame.
    /// </summary>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, EslFrameLimits limits, out EslFrame? frame)
    {
        frame = TryCut(ref buffer, limits, out var cut) ? cut.ToFrame() : null;
        return frame is not null;
    }

    /// <summary>
    /// <see cref="TryParse"/> without decoding anything but Content-Length and Content-Type: the frame's bytes
    /// stay in <paramref name="buffer"/>'s memory, so an event can be decoded straight from the socket buffer.
    /// </summary>
    internal static bool TryCut(ref ReadOnlySequence<byte> buffer, EslFrameLimits limits, out CutFrame frame)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        var blockStart = reader.Position;
        var blockEnd = reader.Position;
        var lines = 0;
        var contentLength = 0;
        EslContentType? contentType = null;
        string? unknownContentType = null;

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
                if (lines == 0)
                {
                    // Stray newline between frames: tolerated, as FreeSWITCH itself does.
                    buffer = buffer.Slice(reader.Position);
                    blockStart = reader.Position;
                    continue;
                }
                break;
            }

            lines++;
            blockEnd = reader.Position;
            ScanFrameHeader(line, limits, ref contentLength, ref contentType, ref unknownContentType);
        }

        if (reader.Remaining < contentLength)
        {
            return false;
        }

        if (contentType is not { } type)
        {
            throw new EslProtocolException(unknownContentType is null
                ? "frame without a Content-Type header"
                : $"unknown Content-Type '{unknownContentType}'");
        }

        var body = reader.UnreadSequence.Slice(0, contentLength);
        reader.Advance(contentLength);
        frame = new CutFrame(type, buffer.Slice(blockStart, blockEnd), body);
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    /// <summary>Parses a block of <c>Name: value</c> lines (the body of a text/event-plain frame).</summary>
    /// <param name="selection">When set, only these headers (and Content-Length) are decoded; the rest are skipped.</param>
    internal static Dictionary<string, string> ParseHeaderBlock(ReadOnlySpan<byte> block, out ReadOnlySpan<byte> rest, HeaderSelection? selection = null)
    {
        var headers = new Dictionary<string, string>(selection?.Count + 1 ?? 96, StringComparer.Ordinal);
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
            SplitHeaderLine(line, out var nameBytes, out var valueBytes);
            if (selection is null)
            {
                headers[Encoding.UTF8.GetString(nameBytes)] = PercentDecoding.Decode(valueBytes);
            }
            else if ((selection.Match(nameBytes) ?? (nameBytes.SequenceEqual(ContentLengthName) ? "Content-Length" : null)) is { } name)
            {
                headers[name] = PercentDecoding.Decode(valueBytes);
            }
        }
        rest = block;
        return headers;
    }

    /// <summary>The header lines of a cut frame (each ending in a newline), decoded.</summary>
    internal static Dictionary<string, string> ParseHeaderLines(ReadOnlySequence<byte> block)
    {
        var headers = new Dictionary<string, string>(8, StringComparer.Ordinal);
        var reader = new SequenceReader<byte>(block);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            WithContiguous(line, headers, static (span, headers) =>
            {
                SplitHeaderLine(span, out var name, out var value);
                headers[Encoding.UTF8.GetString(name)] = PercentDecoding.Decode(value);
                return 0;
            });
        }
        return headers;
    }

    private static void ScanFrameHeader(ReadOnlySequence<byte> line, EslFrameLimits limits, ref int contentLength, ref EslContentType? contentType, ref string? unknownContentType)
    {
        var (length, type, unknown) = WithContiguous(line, limits, static (span, limits) =>
        {
            SplitHeaderLine(span, out var name, out var value);
            if (name.SequenceEqual(ContentLengthName))
            {
                return (ParseContentLength(value, limits), (EslContentType?)null, (string?)null);
            }
            if (name.SequenceEqual(ContentTypeName))
            {
                return EslContentTypes.TryParse(value, out var parsed)
                    ? (-1, parsed, null)
                    : (-1, null, PercentDecoding.Decode(value));
            }
            return (-1, null, null);
        });
        if (length >= 0)
        {
            contentLength = length;
        }
        if (type is not null || unknown is not null)
        {
            contentType = type;
            unknownContentType = unknown;
        }
    }

    private static TResult WithContiguous<TState, TResult>(ReadOnlySequence<byte> line, TState state, SpanFunc<TState, TResult> use)
    {
        if (line.IsSingleSegment)
        {
            return use(line.FirstSpan, state);
        }
        var length = (int)line.Length;
        var copy = length <= 1024 ? stackalloc byte[length] : new byte[length];
        line.CopyTo(copy);
        return use(copy, state);
    }

    private delegate TResult SpanFunc<in TState, out TResult>(ReadOnlySpan<byte> span, TState state);

    /// <summary>Name and value of a <c>Name: value</c> line (trailing CR and the spaces after the colon dropped).</summary>
    internal static void SplitHeaderLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
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
        value = line[(colon + 1)..];
        while (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }
        name = line[..colon];
    }

    private static int ParseContentLength(ReadOnlySpan<byte> value, EslFrameLimits limits)
    {
        if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0)
        {
            throw new EslProtocolException($"invalid Content-Length '{PercentDecoding.Decode(value)}'");
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

/// <summary>A whole frame whose bytes are still in the read buffer: valid only until that buffer is advanced.</summary>
internal readonly record struct CutFrame(EslContentType ContentType, ReadOnlySequence<byte> HeaderLines, ReadOnlySequence<byte> Body)
{
    /// <summary>
    /// A header block this long is a <c>connect</c> reply's channel data (~200 headers, kept for the call's
    /// whole life): it is packed as it is decoded, instead of ~400 strings and a dictionary that packing would
    /// then copy. Command replies, a few headers each, stay a dictionary.
    /// </summary>
    internal const int PackedHeaderBlockBytes = 1024;

    /// <summary>Decodes the headers and copies the body out, so the frame outlives the buffer.</summary>
    public EslFrame ToFrame() => new(
        ContentType,
        HeaderLines.Length > PackedHeaderBlockBytes ? EslHeaders.Lazy(PackedHeaders.FromHeaderLines(HeaderLines)) : EslHeaders.Wrap(EslFrameParser.ParseHeaderLines(HeaderLines)),
        Body.IsEmpty ? ReadOnlyMemory<byte>.Empty : Body.ToArray());
}
