using System.Buffers;
using System.IO.Pipelines;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Tests;

/// <summary>Feeds bytes through a Pipe in given chunk sizes and frames them as the connection's read loop does.</summary>
internal static class FrameFeeding
{
    public static async Task<List<EslFrame>> ParseAsync(byte[] stream, IReadOnlyList<int> chunkSizes, EslFrameLimits? limits = null)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var offset = 0;
        var i = 0;
        while (offset < stream.Length)
        {
            var size = Math.Min(Math.Max(1, chunkSizes.Count == 0 ? stream.Length : chunkSizes[i++ % chunkSizes.Count]), stream.Length - offset);
            await pipe.Writer.WriteAsync(stream.AsMemory(offset, size));
            offset += size;
        }
        await pipe.Writer.CompleteAsync();

        var frames = new List<EslFrame>();
        while (true)
        {
            var result = await pipe.Reader.ReadAsync();
            var buffer = result.Buffer;
            while (EslFrameParser.TryParse(ref buffer, limits ?? EslFrameLimits.Default, out var frame))
            {
                frames.Add(frame!);
            }
            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    throw new EslProtocolException($"{buffer.Length} bytes left over");
                }
                return frames;
            }
        }
    }

    public static List<EslFrame> ParseWhole(byte[] stream)
    {
        var buffer = new ReadOnlySequence<byte>(stream);
        var frames = new List<EslFrame>();
        while (EslFrameParser.TryParse(ref buffer, EslFrameLimits.Default, out var frame))
        {
            frames.Add(frame!);
        }
        Assert.True(buffer.IsEmpty, $"{buffer.Length} bytes left unparsed");
        return frames;
    }

    /// <summary>A comparable rendering of a frame: type, every header, body bytes.</summary>
    public static string Describe(EslFrame frame) =>
        $"{frame.ContentType}|{string.Join(";", frame.Headers.Select(h => h.Key + "=" + h.Value))}|{Convert.ToBase64String(frame.Body.Span)}";

    /// <summary>The bytes as a sequence of <paramref name="size"/>-byte segments (0: one segment), as a pipe hands them over.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        if (size <= 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var chunk = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
