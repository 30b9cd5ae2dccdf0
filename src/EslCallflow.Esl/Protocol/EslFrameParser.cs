using System.Buffers;
using System.Buffers.Text;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// Cuts whole ESL frames out of a byte sequence: header lines up to a blank line, then exactly
/// Content-Length bytes. Works on any split of the stream; bytes are decoded only once a frame is whole.
/// </summary>
internal static class EslFrameParser
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
        var scan = default(FrameScan);
        return TryCut(ref buffer, limits, ref scan, out frame);
    }

    /// <summary>
    /// The same, going on from <paramref name="scan"/>: where an earlier call on the same frame start stopped for
    /// want of bytes. A read loop keeps it between reads, so a frame arriving a byte at a time costs each byte once,
    /// not a new pass over every header line received so far (which let one peer dripping bytes keep a core busy).
    /// </summary>
    internal static bool TryCut(ref ReadOnlySequence<byte> buffer, EslFrameLimits limits, ref FrameScan scan, out CutFrame frame)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        if (scan.BodyStart > 0)
        {
            // The header block was read already; only the body was missing.
            if (buffer.Length - scan.BodyStart < scan.ContentLength)
            {
                return false;
            }
            reader.Advance(scan.BodyStart);
        }
        else
        {
            if (scan.Searched > scan.Scanned && buffer.Slice(scan.Searched).PositionOf((byte)'\n') is null)
            {
                // Still no end to the line under way: nothing new to read.
                return WaitForLine(buffer, limits, ref scan);
            }
            reader.Advance(scan.Scanned);
            while (true)
            {
                if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
                {
                    return WaitForLine(buffer, limits, ref scan);
                }

                if (reader.Consumed > limits.MaxHeaderBytes)
                {
                    throw HeaderTooLong(limits);
                }

                if (line.Length == 0 || (line.Length == 1 && line.FirstSpan[0] == (byte)'\r'))
                {
                    if (scan.Lines == 0)
                    {
                        // Stray newline between frames: tolerated, as FreeSWITCH itself does.
                        buffer = buffer.Slice(reader.Position);
                        reader = new SequenceReader<byte>(buffer);
                        scan = default;
                        continue;
                    }
                    break;
                }

                scan.Lines++;
                scan.BlockEnd = reader.Consumed;
                scan.Scanned = reader.Consumed;
                ScanFrameHeader(line, limits, ref scan);
            }
            scan.BodyStart = reader.Consumed;
        }

        if (reader.Remaining < scan.ContentLength)
        {
            return false;
        }

        if (scan.ContentType is not { } type)
        {
            throw new EslProtocolException(scan.UnknownContentType is null
                ? "frame without a Content-Type header"
                : $"unknown Content-Type '{ControlCharacters.Escape(scan.UnknownContentType)}'");
        }

        var body = reader.UnreadSequence.Slice(0, scan.ContentLength);
        reader.Advance(scan.ContentLength);
        frame = new CutFrame(type, buffer.Slice(0, scan.BlockEnd), body);
        buffer = buffer.Slice(reader.Position);
        scan = default;
        return true;
    }

    /// <summary>No blank line yet: remembers that the bytes so far hold no further newline, within the header limit.</summary>
    private static bool WaitForLine(ReadOnlySequence<byte> buffer, EslFrameLimits limits, ref FrameScan scan)
    {
        if (buffer.Length - scan.Scanned > limits.MaxHeaderBytes)
        {
            throw HeaderTooLong(limits);
        }
        scan.Searched = buffer.Length;
        return false;
    }

    private static EslProtocolException HeaderTooLong(EslFrameLimits limits) =>
        new($"header block exceeds {limits.MaxHeaderBytes} bytes without a blank line") { ExceedsLimit = true };

    private static void ScanFrameHeader(ReadOnlySequence<byte> line, EslFrameLimits limits, ref FrameScan scan)
    {
        var (length, type, unknown) = WithContiguous(line, limits, static (span, limits) =>
        {
            PlainHeaders.Split(span, out var colon, out var valueStart, out var valueLength);
            var name = span[..colon];
            var value = span.Slice(valueStart, valueLength);
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
            scan.ContentLength = length;
        }
        if (type is not null || unknown is not null)
        {
            scan.ContentType = type;
            scan.UnknownContentType = unknown;
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

    private static int ParseContentLength(ReadOnlySpan<byte> value, EslFrameLimits limits)
    {
        if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0)
        {
            throw new EslProtocolException($"invalid Content-Length '{ControlCharacters.Escape(PercentDecoding.Decode(value))}'");
        }
        if (length > limits.MaxBodyBytes)
        {
            throw new EslProtocolException($"Content-Length {length} exceeds the limit of {limits.MaxBodyBytes} bytes") { ExceedsLimit = true };
        }
        return (int)length;
    }
}

/// <summary>
/// How far <see cref="EslFrameParser.TryCut(ref ReadOnlySequence{byte}, EslFrameLimits, ref FrameScan, out CutFrame)"/>
/// got into a frame that is not whole yet; offsets count from the frame's first byte.
/// </summary>
internal struct FrameScan
{
    /// <summary>Bytes of complete header lines read.</summary>
    public long Scanned;

    /// <summary>Bytes known to hold no newline after <see cref="Scanned"/>.</summary>
    public long Searched;

    /// <summary>Where the body starts, once the blank line was read; 0 before.</summary>
    public long BodyStart;

    /// <summary>End of the last header line (the header block without its blank line).</summary>
    public long BlockEnd;

    public int Lines;
    public int ContentLength;
    public EslContentType? ContentType;
    public string? UnknownContentType;
}

/// <summary>A whole frame whose bytes are still in the read buffer: valid only until that buffer is advanced.</summary>
internal readonly record struct CutFrame(EslContentType ContentType, ReadOnlySequence<byte> HeaderLines, ReadOnlySequence<byte> Body)
{
    /// <summary>Decodes the headers and copies the body out, so the frame outlives the buffer.</summary>
    public EslFrame ToFrame() => new(
        ContentType,
        Messages.EslEventDecoder.DecodeHeaderBlock(HeaderLines),
        Body.IsEmpty ? ReadOnlyMemory<byte>.Empty : Body.ToArray());
}
