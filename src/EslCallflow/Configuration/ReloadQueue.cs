namespace EslCallflow.Configuration;

/// <summary>
/// Coalesces reload requests. At most one reload runs and at most one waits; a request that arrives while
/// one waits joins it and gets its outcome. A waiting reload starts only after the running one has finished,
/// so it sees every change made before its requests, and at least <c>minInterval</c> after the previous one
/// started, so a flood of requests (POST /reload in a loop, a burst of file events) costs one reload per
/// interval and never the CPU that calls need. Reloads run on the thread pool, never on the caller's thread
/// (a signal handler or a timer).
/// </summary>
internal sealed class ReloadQueue
{
    private readonly Func<ReloadRequest, ReloadOutcome> _reload;
    private readonly TimeProvider _time;
    private readonly TimeSpan _minInterval;
    private readonly Lock _gate = new();
    private Batch? _waiting;
    private Task _previous = Task.CompletedTask;
    private long? _lastStart;

    public ReloadQueue(Func<ReloadRequest, ReloadOutcome> reload, TimeProvider time, TimeSpan minInterval)
    {
        _reload = reload;
        _time = time;
        _minInterval = minInterval;
    }

    /// <summary>Reloads that ran (for tests and the log: how many requests each one served).</summary>
    public int Runs { get; private set; }

    public Task<ReloadOutcome> Enqueue(string trigger, bool force)
    {
        lock (_gate)
        {
            if (_waiting is { } waiting)
            {
                waiting.Join(trigger, force);
                return waiting.Outcome.Task;
            }
            var batch = _waiting = new Batch(trigger, force);
            var previous = _previous;
            _previous = Task.Run(() => RunAfterAsync(previous, batch));
            return batch.Outcome.Task;
        }
    }

    private async Task RunAfterAsync(Task previous, Batch batch)
    {
        await previous.ConfigureAwait(false);
        if (_lastStart is { } last && _minInterval - _time.GetElapsedTime(last) is { Ticks: > 0 } wait)
        {
            await Task.Delay(wait, _time).ConfigureAwait(false);
        }
        ReloadRequest request;
        lock (_gate)
        {
            // From here on a new request waits for the next reload: this one may already have read its files.
            _waiting = null;
            request = batch.ToRequest();
        }
        _lastStart = _time.GetTimestamp();
        Runs++;
        try
        {
            batch.Outcome.SetResult(_reload(request));
        }
        catch (Exception ex)
        {
            // The next reload still runs: this task must not fault, as the next one awaits it.
            batch.Outcome.SetException(ex);
        }
    }

    private sealed class Batch(string trigger, bool force)
    {
        private readonly List<string> _triggers = [trigger];
        private int _requests = 1;
        private bool _force = force;

        public TaskCompletionSource<ReloadOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Join(string trigger, bool force)
        {
            _requests++;
            _force |= force;
            if (!_triggers.Contains(trigger))
            {
                _triggers.Add(trigger);
            }
        }

        public ReloadRequest ToRequest() => new(string.Join(", ", _triggers), _requests, _force);
    }
}

/// <summary>
/// One reload as it runs: what asked for it (every trigger coalesced into it), how many requests, and whether
/// any of them forced it (the requests share one outcome, so one forced request forces them all).
/// </summary>
public sealed record ReloadRequest(string Trigger, int Requests, bool Force);
