using BenchmarkDotNet.Attributes;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Esl.Messages;
using EslCallflow.Testing;
using EslCallflow.Tracking;

namespace EslCallflow.Benchmarks;

/// <summary>
/// Applying the real pickup capture's CHANNEL_* events to the tracker (create, ring, pick up, bridge, hang up,
/// destroy: a whole call's life), with 1,000 other legs ringing meanwhile, then the pickup query. Events
/// arrive decoded; decoding is EslDecodingBenchmarks'.
/// </summary>
[MemoryDiagnoser]
public class TrackerBenchmarks
{
    private EslEvent[] _events = [];
    private ChannelTracker _tracker = null!;
    private string[] _scopeKeys = [];

    [GlobalSetup]
    public void Setup()
    {
        _events = [.. EventTemplates.JsonBodies(Transcript.ReceivedStream("events-pickup-json.txt"))
            .Select(body => DecodedEvents.Json(body))
            .Where(e => e.EventName.StartsWith("CHANNEL_", StringComparison.Ordinal))];
        _tracker = new ChannelTracker(TimeProvider.System);
        _tracker.Reset(Enumerable.Range(0, 1000).Select(i => new ChannelSeed($"leg-{i}", true, "RINGING", false, 1_795_421_000_000_000 + i, $"caller-{i}", $"{2000 + i % 200}@127.0.0.1", $"d{i % 200}")));
        _scopeKeys = [.. Enumerable.Range(0, 20).SelectMany(i => new[] { DeviceKey.ForId($"d{i}"), DeviceKey.ForSip($"{2000 + i}", "127.0.0.1") })];
        Console.WriteLine($"// {_events.Length} events per operation");
    }

    /// <summary>One operation applies every event of the capture once (divide by the event count for per-event cost).</summary>
    [Benchmark]
    public int ApplyCapturedCall()
    {
        foreach (var evt in _events)
        {
            _tracker.Apply(evt);
        }
        return _tracker.Count;
    }

    /// <summary>What a pickup asks: the legs ringing on a 20-device group, among 1,000 ringing legs.</summary>
    [Benchmark]
    public int RingingInScope() => _tracker.RingingOn(_scopeKeys).Count;
}
