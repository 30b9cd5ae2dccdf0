using BenchmarkDotNet.Attributes;
using EslCallflow.Records;
using EslCallflow.Delivery;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace EslCallflow.Benchmarks;

/// <summary>
/// What the dispatcher's spool thread pays to hand one call's four events to a destination (issue 19): spooled (the
/// write and its fsync) while the queue has room, or refused (failed.jsonl, counters, logs) once it is full.
/// Logs go through Serilog's compact JSON at Warning, as the load harness runs the daemon, into a null writer.
/// </summary>
[MemoryDiagnoser]
public class CallEventSpoolBenchmarks : IDisposable
{
    private const int Capacity = 10_000;
    private readonly List<string> _folders = [];
    private readonly List<IDisposable> _files = [];
    private SpooledEvent[] _call = [];
    private DeliveryBacklog _withRoom = null!;
    private DeliveryBacklog _full = null!;
    private SerilogLoggerFactory _logs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _logs = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Sink(new NullJsonSink()).CreateLogger(), dispose: true);
        _call = [.. Enumerable.Range(1, 4).Select(i => Event("rec-bench", i).ToSpooled())];
        _withRoom = Backlog(int.MaxValue);
        _full = Backlog(Capacity);
        for (var i = 0; i < Capacity / 4; i++)
        {
            _full.Offer([.. Enumerable.Range(1, 4).Select(s => Event($"rec-{i}", s).ToSpooled())]);
        }
        Console.WriteLine($"// one event is {_call[^1].Json.Length} characters of JSON");
    }

    [GlobalCleanup]
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        foreach (var file in _files)
        {
            file.Dispose();
        }
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
        _logs.Dispose();
    }

    /// <summary>Spooled: written, fsync'd and queued.</summary>
    [Benchmark(Baseline = true)]
    public int OfferWithRoom()
    {
        _withRoom.Offer(_call);
        return _withRoom.Pending;
    }

    /// <summary>Refused: the queue holds <see cref="Capacity"/> events already.</summary>
    [Benchmark]
    public int OfferToFullQueue()
    {
        _full.Offer(_call);
        return _full.Pending;
    }

    private DeliveryBacklog Backlog(int capacity)
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-bench-spool").FullName;
        _folders.Add(folder);
        var spool = EventSpool.Open(folder, out _, out _);
        var failed = new FailedEventLog(folder, 10 * 1024 * 1024, TimeProvider.System);
        _files.Add(spool);
        _files.Add(failed);
        var policy = new DeliveryPolicy(TimeSpan.FromSeconds(1), 0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1);
        // Never run: every event offered stays waiting.
        return new DeliveryBacklog("bench", _ => true, new NeverSink(), policy, spool, [], failed, new DeliveryMetrics(), capacity, TimeSpan.FromDays(1), TimeProvider.System, _logs.CreateLogger<DeliveryBacklog>());
    }

    /// <summary>A call as the load harness makes them: the 7000 ring group, four phones rung, answered.</summary>
    private static CallEvent Event(string recordId, int sequence)
    {
        var at = DateTimeOffset.UtcNow;
        return new CallEvent(sequence == 4 ? CallEventType.Ended : CallEventType.Ringing, sequence, at, new CallRecord
        {
            RecordId = recordId,
            CallUuid = Guid.NewGuid().ToString(),
            Number = "7000",
            CallflowId = "sales-ring-group",
            Caller = new CallerInfo("dev1005", true, "Reception", "1005"),
            StartedAt = at,
            RingAttempts = [new RingAttempt(1, "ring_group", "simultaneous", at, ["dev1001", "dev1002", "dev1003", "dev1004"], [new LeftOut("dev1006", "do not disturb")])],
            Outcome = "answered",
            Answered = new AnswerInfo("dev1003", Guid.NewGuid().ToString(), 5.4, at),
            TalkSeconds = 10,
            HangupCause = "NORMAL_CLEARING",
            HungUpBy = "caller",
            EndedAt = at,
        });
    }

    private sealed class NeverSink : IEventSink
    {
        public Task<DeliveryAttempt> SendAsync(SpooledEvent evt, CancellationToken cancellationToken) => Task.FromResult(DeliveryAttempt.Delivered);
    }

    /// <summary>Formats each line as the daemon's json console does, then throws it away.</summary>
    private sealed class NullJsonSink : ILogEventSink
    {
        private readonly CompactJsonFormatter _formatter = new();

        public void Emit(LogEvent logEvent) => _formatter.Format(logEvent, TextWriter.Null);
    }
}
