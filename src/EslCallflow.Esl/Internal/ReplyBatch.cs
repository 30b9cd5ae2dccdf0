using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Internal;

/// <summary>
/// The replies to commands written together, awaited as one: completes with the first refusal as soon as it
/// comes in, or else with the last reply. FreeSWITCH replies in order, so the batch sits in the reply FIFO once
/// per command. One wait per batch instead of one per command: a call's set-up (7 commands) and its decision
/// (up to 6) would otherwise allocate a completion source, a task and an awaiting state machine each.
/// </summary>
internal sealed class ReplyBatch(int count, TaskCreationOptions options) : TaskCompletionSource<EslFrame>(options)
{
    private int _received;
    private bool _refused;

    /// <summary>Which command the result answers: the first refused, else the last.</summary>
    public int ResultIndex { get; private set; } = count - 1;

    /// <summary>The next reply of this batch, in wire order (read loop only).</summary>
    public void Add(EslFrame reply)
    {
        var index = _received++;
        if (!_refused && !reply.IsOk)
        {
            _refused = true;
            ResultIndex = index;
            TrySetResult(reply);
        }
        if (_received == count)
        {
            TrySetResult(reply);
        }
    }
}
