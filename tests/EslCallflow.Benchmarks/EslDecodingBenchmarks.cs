using System.Buffers;
using BenchmarkDotNet.Attributes;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;
using EslCallflow.Testing;

namespace EslCallflow.Benchmarks;

/// <summary>
/// Framing and decoding the real captured CHANNEL_* streams (json and plain). One operation = one event, so
/// BenchmarkDotNet's "Op/s" is events per second; MB/s = bytes per event / mean time.
/// </summary>
[MemoryDiagnoser]
public class EslDecodingBenchmarks
{
    private static readonly HeaderSelection TrackerHeaders = new(EslCallflow.Tracking.ChannelTracker.HeadersRead);
    private byte[] _stream = [];
    private int _events;

    [Params("events-pickup-json.txt", "inbound-plain.txt")]
    public string Capture { get; set; } = "events-pickup-json.txt";

    /// <summary>The capture's event frames only, repeated to about 1 MB, so a run is dominated by events.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var source = Transcript.ReceivedStream(Capture);
        var frames = new List<byte[]>();
        var buffer = new ReadOnlySequence<byte>(source);
        while (true)
        {
            var before = buffer;
            if (!EslFrameParser.TryParse(ref buffer, EslFrameLimits.Default, out var frame))
            {
                break;
            }
            if (EslEventDecoder.IsEvent(frame!.ContentType) && EslEventDecoder.Decode(frame).EventName.StartsWith("CHANNEL_", StringComparison.Ordinal))
            {
                frames.Add(before.Slice(0, before.Length - buffer.Length).ToArray());
            }
        }
        var perRound = frames.Sum(f => f.Length);
        var rounds = Math.Max(1, 1_000_000 / perRound);
        _stream = [.. Enumerable.Repeat(frames, rounds).SelectMany(f => f).SelectMany(f => f)];
        _events = frames.Count * rounds;
        Console.WriteLine($"// {Capture}: {_events} CHANNEL_* events, {_stream.Length} bytes, {_stream.Length / _events} bytes per event");
    }

    public int EventsPerOperation => _events;

    /// <summary>Framing alone: find every frame and its headers, no body decoding.</summary>
    [Benchmark]
    public int Frame()
    {
        var buffer = new ReadOnlySequence<byte>(_stream);
        var count = 0;
        while (EslFrameParser.TryParse(ref buffer, EslFrameLimits.Default, out _))
        {
            count++;
        }
        return count;
    }

    /// <summary>Framing, decoding, and reading what the tracker reads from every event.</summary>
    [Benchmark]
    public int FrameDecodeAndRead()
    {
        var buffer = new ReadOnlySequence<byte>(_stream);
        var found = 0;
        while (EslFrameParser.TryParse(ref buffer, EslFrameLimits.Default, out var frame))
        {
            var evt = EslEventDecoder.Decode(frame!);
            if (evt.EventName.Length > 0 && evt.UniqueId is not null)
            {
                found += (evt.OtherLegUniqueId is null ? 0 : 1) + (evt.ChannelCallState is null ? 0 : 1) + (evt.GetVariable("presence_id") is null ? 0 : 1);
            }
        }
        return found;
    }

    /// <summary>
    /// What the daemon's inbound feed does: decode only the tracker's headers, straight from the read buffer
    /// (<c>EslSubscription.EventHeaders</c>), and read the same fields.
    /// </summary>
    [Benchmark]
    public int FrameDecodeSelectedAndRead()
    {
        var buffer = new ReadOnlySequence<byte>(_stream);
        var found = 0;
        while (EslFrameParser.TryCut(ref buffer, EslFrameLimits.Default, out var cut))
        {
            var evt = EslEventDecoder.Decode(cut.ContentType, cut.Body, TrackerHeaders);
            if (evt.EventName.Length > 0 && evt.UniqueId is not null)
            {
                found += (evt.OtherLegUniqueId is null ? 0 : 1) + (evt.ChannelCallState is null ? 0 : 1) + (evt.GetVariable("presence_id") is null ? 0 : 1);
            }
        }
        return found;
    }
}
