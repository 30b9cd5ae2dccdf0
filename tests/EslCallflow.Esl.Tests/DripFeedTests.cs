using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using EslCallflow.Esl.Internal;
using EslCallflow.Esl.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// A peer that sends a frame a byte at a time makes the read loop run once per byte. Each run must cost the new
/// byte, not another pass over the whole header block received so far: that quadratic rescan is what let one
/// dripping peer keep a core busy.
/// </summary>
public class DripFeedTests
{
    /// <summary>A 64 KB header block of 16,000 short lines, then the auth/request that ends it.</summary>
    private static byte[] LongHeaderFrame()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 16_000; i++)
        {
            text.Append("a:b\n");
        }
        return Encoding.ASCII.GetBytes(text.Append("Content-Type: auth/request\n\n").ToString());
    }

    [Fact]
    public async Task A_frame_dripped_a_byte_per_read_costs_linear_time()
    {
        var frame = LongHeaderFrame();
        // Inline scheduling: every flush runs the read loop at once, so there is exactly one read per byte.
        var input = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, useSynchronizationContext: false));
        var output = new Pipe();
        var connection = new EslConnection(input.Reader, output.Writer, null, new EslFrameLimits { MaxHeaderBytes = 128 * 1024 }, NullLogger.Instance, "drip");
        connection.Start();
        await Task.Delay(50);

        var clock = Stopwatch.StartNew();
        foreach (var b in frame)
        {
            await input.Writer.WriteAsync(new[] { b });
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"dripping stalled: {clock.Elapsed} for a 64 KB frame");
        }
        await connection.AuthRequested.WaitAsync(TimeSpan.FromSeconds(10));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"64 KB dripped a byte per read took {clock.Elapsed}");
        Assert.False(connection.IsClosed);
        await connection.DisposeAsync();
    }

    [Fact]
    public void Framing_goes_on_from_where_it_stopped_and_gives_the_frame_a_single_read_would()
    {
        var stream = Encoding.ASCII.GetBytes("\n\nContent-Type: api/response\nContent-Length: 5\n\nhello\nContent-Type: command/reply\nReply-Text: +OK\n\n");
        var scan = default(FrameScan);
        var frames = new List<EslFrame>();
        var start = 0;

        for (var end = 1; end <= stream.Length; end++)
        {
            var buffer = new System.Buffers.ReadOnlySequence<byte>(stream, start, end - start);
            while (EslFrameParser.TryCut(ref buffer, EslFrameLimits.Default, ref scan, out var cut))
            {
                frames.Add(cut.ToFrame());
            }
            start = end - (int)buffer.Length;
        }

        Assert.Equal(2, frames.Count);
        Assert.Equal(EslContentType.ApiResponse, frames[0].ContentType);
        Assert.Equal("hello", frames[0].BodyText);
        Assert.Equal(EslContentType.CommandReply, frames[1].ContentType);
        Assert.Equal("+OK", frames[1].ReplyText);
    }

    [Fact]
    public void A_header_block_dripped_past_the_limit_is_refused_as_a_limit()
    {
        var limits = new EslFrameLimits { MaxHeaderBytes = 4096 };
        var stream = Encoding.ASCII.GetBytes(new string('x', 5000));
        var scan = default(FrameScan);

        var error = Assert.Throws<EslProtocolException>(() =>
        {
            for (var end = 1; end <= stream.Length; end++)
            {
                var buffer = new System.Buffers.ReadOnlySequence<byte>(stream, 0, end);
                EslFrameParser.TryCut(ref buffer, limits, ref scan, out _);
            }
        });

        Assert.True(error.ExceedsLimit);
        Assert.Equal("header block exceeds 4096 bytes without a blank line", error.Message);
    }
}
