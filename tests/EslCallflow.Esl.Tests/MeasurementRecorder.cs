using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace EslCallflow.Esl.Tests;

/// <summary>
/// Records what the library's <see cref="EslMetrics.MeterName"/> meter reports while it lives. The meter is shared by
/// the whole test process, so a test reads only the measurements carrying its own listener's port
/// (<see cref="Count(string, string, int)"/>), or asks for at least what it caused.
/// </summary>
internal sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _timings = new();

    public MeasurementRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EslMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var (key, tag) in tags)
            {
                copy[key] = tag;
            }
            _measurements.Enqueue((instrument.Name, value, copy));
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var (key, tag) in tags)
            {
                copy[key] = tag;
            }
            _timings.Enqueue((instrument.Name, value, copy));
        });
        _listener.Start();
    }

    /// <summary>The sum of <paramref name="instrument"/> for <paramref name="reason"/> on the listener at <paramref name="port"/>.</summary>
    public long Count(string instrument, string reason, int port) => _measurements
        .Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("reason"), reason) && Equals(m.Tags.GetValueOrDefault("server.port"), port))
        .Sum(m => m.Value);

    /// <summary>The sum of <paramref name="instrument"/> for <paramref name="reason"/>, whoever reported it.</summary>
    public long Count(string instrument, string reason) => _measurements
        .Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("reason"), reason))
        .Sum(m => m.Value);

    /// <summary>Every value of the histogram <paramref name="instrument"/> on the listener at <paramref name="port"/>, with its tags.</summary>
    public IReadOnlyList<(double Value, Dictionary<string, object?> Tags)> Values(string instrument, int port) => [.. _timings
        .Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("server.port"), port))
        .Select(m => (m.Value, m.Tags))];

    public void Dispose() => _listener.Dispose();
}
