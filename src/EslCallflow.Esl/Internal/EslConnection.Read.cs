using System.Buffers;
using System.IO.Pipelines;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Internal;

internal sealed partial class EslConnection
{
    // Where framing stopped in a frame that is not whole yet (read loop only).
    private FrameScan _scan;

    private async Task ReadLoopAsync()
    {
        Exception reason;
        try
        {
            reason = await ReadFramesAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            reason = ex;
        }
        Abort(reason);
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException)
        {
            // Completing flushes what a failed write left buffered; the socket is gone, and those bytes with it.
        }
    }

    private async Task<Exception> ReadFramesAsync()
    {
        // One token source for the idle deadline, re-armed before each read: a busy feed reads thousands of
        // times a second, and a fresh source (and timer) per read was most of what the reader allocated.
        CancellationTokenSource? idle = null;
        try
        {
            while (true)
            {
                ReadResult result;
                var idleTicks = Interlocked.Read(ref _idleTimeoutTicks);
                if (idleTicks > 0)
                {
                    if (idle is null || !idle.TryReset())
                    {
                        idle?.Dispose();
                        idle = new CancellationTokenSource();
                    }
                    idle.CancelAfter(TimeSpan.FromTicks(idleTicks));
                    // Not tied to closing: Abort wakes the read with CancelPendingRead instead.
                    try
                    {
                        result = await _input.ReadAsync(idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (idle.IsCancellationRequested && !_closing)
                    {
                        return new EslConnectionClosedException(
                            $"no data from FreeSWITCH for {TimeSpan.FromTicks(idleTicks).TotalSeconds:0} s (HEARTBEAT missing): connection presumed dead");
                    }
                }
                else
                {
                    result = await _input.ReadAsync().ConfigureAwait(false);
                }

                if (ConsumeFrames(result) is { } closed)
                {
                    return closed;
                }
            }
        }
        finally
        {
            idle?.Dispose();
        }
    }

    /// <summary>Dispatches every whole frame in <paramref name="result"/>; the reason to stop reading, if any.</summary>
    private Exception? ConsumeFrames(ReadResult result)
    {
        if (result.IsCanceled && _closing)
        {
            return _closeReason ?? new EslConnectionClosedException("read cancelled");
        }

        var buffer = result.Buffer;
        try
        {
            while (EslFrameParser.TryCut(ref buffer, _limits, ref _scan, out var cut))
            {
                var receivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                // Whole frames are activity, not bytes: a peer dripping a frame that never ends is idle.
                Volatile.Write(ref _lastActivity, receivedAt);
                if (EslEventDecoder.IsEvent(cut.ContentType))
                {
                    // Decoded straight from the read buffer, no frame made first; a whole json event copies its body
                    // out once (its headers stay indexed in it, see HeaderIndex), as the buffer is reused.
                    if (IsRequested(cut.ContentType))
                    {
                        DispatchEvent(EslEventDecoder.Decode(cut.ContentType, cut.Body, Volatile.Read(ref _eventHeaders)));
                    }
                    else
                    {
                        SkipUnrequestedEvent(cut.ContentType);
                    }
                    continue;
                }
                var frame = cut.ToFrame();
                frame.ReceivedAt = receivedAt;
                Dispatch(frame);
            }

            if (result.IsCompleted)
            {
                return buffer.IsEmpty
                    ? new EslConnectionClosedException("the peer closed the connection")
                    : new EslProtocolException($"the peer closed the connection in the middle of a frame ({buffer.Length} bytes unread)");
            }
            return null;
        }
        finally
        {
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private void Dispatch(EslFrame frame)
    {
        switch (frame.ContentType)
        {
            case EslContentType.AuthRequest:
                _authRequested.TrySetResult();
                break;
            case EslContentType.CommandReply:
            case EslContentType.ApiResponse:
                CompleteReply(frame);
                break;
            case EslContentType.DisconnectNotice:
                LogDisconnectNotice(_logger, Id, frame.Headers["Content-Disposition"] ?? "disconnect");
                DisconnectNoticeObserver?.Invoke(frame);
                break;
            case EslContentType.RudeRejection:
                throw new EslConnectionClosedException($"FreeSWITCH rejected the connection: {ControlCharacters.Escape(frame.BodyText.Trim())}");
            case EslContentType.LogData:
                LogLogData(_logger, Id, frame.BodyText);
                break;
        }
    }

    /// <summary>
    /// An event in a format this connection never asked for is not decoded at all: a json session has no business
    /// parsing xml (whose decoder is the costliest), and FreeSWITCH sends only the format last asked for.
    /// </summary>
    private void SkipUnrequestedEvent(EslContentType type)
    {
        EslMetrics.EventsSkipped.Add(1, new KeyValuePair<string, object?>("reason", "unrequested_format"));
        // Once per connection at warning level: a peer sending thousands must not flood the log.
        var count = Interlocked.Increment(ref _unrequestedEvents);
        if (count == 1)
        {
            LogUnrequestedEventFormat(_logger, Id, type.ToString());
        }
        else
        {
            LogUnrequestedEventFormatAgain(_logger, Id, type, count);
        }
    }

    private void CompleteReply(EslFrame frame)
    {
        ReplyBatch? pending;
        lock (_pendingReplies)
        {
            _pendingReplies.TryDequeue(out pending);
        }
        if (pending is null)
        {
            throw new EslProtocolException($"{frame.ContentType} received with no command waiting for it");
        }
        pending.Add(frame);
    }

    private void DispatchEvent(EslEvent evt)
    {
        switch (evt.EventName)
        {
            case "BACKGROUND_JOB" when evt.JobUuid is { } job && Volatile.Read(ref _jobs) is { } jobs && jobs.TryRemove(job, out var jobCompletion):
                jobCompletion.TrySetResult(evt);
                break;
            case "CHANNEL_EXECUTE_COMPLETE" when evt.ApplicationUuid is { } app && _executions.TryRemove(app, out var appCompletion):
                appCompletion.TrySetResult(evt);
                break;
        }

        EventObserver?.Invoke(evt);

        foreach (var subscriber in _subscribers)
        {
            subscriber.Offer(evt);
        }
    }
}
