using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;
using EslCallflow.Metrics;

namespace EslCallflow.Calls;

/// <summary>
/// Every command a module sends its call's session, in one place: which dialplan application each verb is and how
/// its argument is written, so the modules say what they do (answer, bridge, intercept...) and never how.
/// </summary>
internal static class SessionActions
{
    public static Task AnswerAsync(EslOutboundSession session, CancellationToken stopping) => ExecuteAsync(session, CallCommands.Answer, stopping);

    public static Task PlaybackAsync(EslOutboundSession session, string media, CancellationToken stopping) =>
        ExecuteAsync(session, CallCommands.Playback(media), stopping);

    public static Task TransferAsync(EslOutboundSession session, string extension, string dialplan, string context, CancellationToken stopping) =>
        ExecuteAsync(session, CallCommands.Transfer(extension, dialplan, context), stopping);

    /// <summary>
    /// A ring attempt's commands, ending in its bridge, in one write: everything before the bridge goes out with it,
    /// no round trip in between. Completes with the bridge's CHANNEL_EXECUTE_COMPLETE, when the bridge returns.
    /// </summary>
    public static Task<EslEvent> BridgeAsync(EslOutboundSession session, IReadOnlyList<PlannedCommand> commands, CancellationToken stopping) =>
        session.ExecuteAllAsync(ToExecutes(commands, null), stopping);

    /// <summary><c>intercept</c> of <paramref name="argument"/> after the guard's commands, in one write; completes with intercept's completion.</summary>
    public static Task<EslEvent> InterceptAsync(EslOutboundSession session, IReadOnlyList<PlannedCommand> guard, string argument, CancellationToken stopping) =>
        session.ExecuteAllAsync(ToExecutes(guard, ToExecute(CallCommands.Intercept(argument))), stopping);

    /// <summary>A SIP final response (optionally after early media; see <see cref="CallCommands.Respond"/>), then hangup.</summary>
    public static async Task RespondAsync(EslOutboundSession session, int code, string reason, string? media, CancellationToken stopping)
    {
        foreach (var command in CallCommands.Respond(code, reason, media, session.IsAnswered))
        {
            await ExecuteAsync(session, command, stopping).ConfigureAwait(false);
        }
        await TryHangupAsync(session, "NORMAL_CLEARING", stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// Lets go of a call that lives on without the daemon (a pickup): <c>exit</c>, then the socket closes, and the
    /// socket application returns to FreeSWITCH, which runs whatever state the call was moved to.
    /// </summary>
    public static Task ReleaseAsync(EslOutboundSession session) => session.DisposeAsync().AsTask();

    public static async Task TryHangupAsync(EslOutboundSession session, string cause, CancellationToken stopping)
    {
        if (session.IsConnected && !session.CallEnded.IsCancellationRequested)
        {
            try
            {
                await session.HangupAsync(cause, stopping).ConfigureAwait(false);
            }
            catch (EslConnectionClosedException)
            {
                // Already gone.
            }
        }
    }

    /// <summary>
    /// A module's <see cref="ModuleStep"/> on the call's socket: each command in turn, then the hangup or the decision
    /// it carries; returns the node the flow goes on with, or null when it is over.
    /// </summary>
    public static async Task<FlowNode?> RunStepAsync(CallContext call, FlowNode node, ModuleStep step, DaemonMetrics metrics, CancellationToken stopping)
    {
        foreach (var command in step.Commands)
        {
            await ExecuteAsync(call.Session, command, stopping).ConfigureAwait(false);
        }
        if (step.HangupCause is { } cause)
        {
            await TryHangupAsync(call.Session, cause, stopping).ConfigureAwait(false);
        }
        if (step.Outcome is { } outcome)
        {
            call.Decide(metrics, node.Module, outcome);
        }
        return step.HangupCause is not null || step.HandsOver ? null
            : step.Jump is { } jumped ? jumped.Flow
            : step.Child is { } child ? node.Child(child)
            : null;
    }

    private static Task<EslEvent> ExecuteAsync(EslOutboundSession session, PlannedCommand command, CancellationToken stopping) =>
        session.ExecuteAllAsync([ToExecute(command)], stopping);

    private static EslExecute ToExecute(PlannedCommand command) => new(command.Application, command.Argument);

    private static EslExecute[] ToExecutes(IReadOnlyList<PlannedCommand> commands, EslExecute? last)
    {
        var executes = new EslExecute[commands.Count + (last is null ? 0 : 1)];
        for (var i = 0; i < commands.Count; i++)
        {
            executes[i] = ToExecute(commands[i]);
        }
        if (last is not null)
        {
            executes[^1] = last;
        }
        return executes;
    }
}
