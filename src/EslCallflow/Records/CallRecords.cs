using System.Collections.Concurrent;
using EslCallflow.Callflows.Documents;
using EslCallflow.Delivery;
using Microsoft.Extensions.Options;

namespace EslCallflow.Records;

/// <summary>
/// Every call's record: the calls in progress and the last <see cref="CallRecordsOptions.KeepLast"/> that ended
/// (<c>GET /calls</c>), and the way out for their events (<see cref="CallEventDispatcher"/>).
/// </summary>
public sealed class CallRecords
{
    private readonly ConcurrentDictionary<string, CallRecorder> _inProgress = new(StringComparer.Ordinal);
    private readonly Queue<CallRecord> _recent = new();
    private readonly Lock _recentGate = new();
    private readonly int _keepLast;
    private readonly CallEventDispatcher _dispatcher;
    private readonly TimeProvider _time;

    public CallRecords(IOptions<CallRecordsOptions> options, CallEventDispatcher dispatcher, TimeProvider time)
    {
        _keepLast = options.Value.KeepLast;
        _dispatcher = dispatcher;
        _time = time;
    }

    /// <summary>A call the daemon took: its record starts, and <c>call.started</c> goes out.</summary>
    public CallRecorder Start(string callUuid, string number, string? callflowId, Device? callerDevice, string? callerIdName, string? callerIdNumber)
    {
        var record = new CallRecord
        {
            RecordId = Guid.NewGuid().ToString(),
            CallUuid = callUuid,
            Number = number,
            CallflowId = callflowId,
            Caller = new CallerInfo(callerDevice?.Id ?? "external", callerDevice is not null, callerIdName, callerIdNumber),
            StartedAt = _time.GetUtcNow(),
        };
        var recorder = new CallRecorder(this, record, _time);
        _inProgress[record.RecordId] = recorder;
        recorder.Started();
        return recorder;
    }

    /// <summary>Calls in progress, oldest first.</summary>
    public IReadOnlyList<CallRecord> InProgress() => [.. _inProgress.Values.Select(r => r.Current).OrderBy(r => r.StartedAt)];

    /// <summary>Calls that ended, newest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<CallRecord> Recent(int limit)
    {
        lock (_recentGate)
        {
            return [.. _recent.Reverse().Take(limit)];
        }
    }

    internal void Publish(CallEvent evt) => _dispatcher.Enqueue(evt);

    internal void Finished(CallRecorder recorder)
    {
        var record = recorder.Current;
        _inProgress.TryRemove(record.RecordId, out _);
        if (_keepLast == 0)
        {
            return;
        }
        lock (_recentGate)
        {
            _recent.Enqueue(record);
            while (_recent.Count > _keepLast)
            {
                _recent.Dequeue();
            }
        }
    }
}
