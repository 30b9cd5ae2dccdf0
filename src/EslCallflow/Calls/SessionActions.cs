using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Esl;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Outbound;

namespace EslCallflow.Calls;

/// <summary>
/// Every command a module sends its call's session, in one place: which dialplan application each verb is and how
/// its argument is written, so the modules say what they do (answer, bridge, intercept...) and never how.
/// </summary>
internal static class SessionActions
{
    public static Task AnswerAsync(EslOutboundSession session, CancellationToken stopping) => session.AnswerAsync(stopping);

    public static Task PlaybackAsync(EslOutboundSession session, string media, CancellationToken stopping) =>
        session.PlaybackAsync(AppArgument.Encode(media), stopping);

    /// <summary>Hands the call to <paramref name="extension"/> in a FreeSWITCH dialplan and context (mod_dptools transfer: extension, dialplan, context).</summary>
    public static Task TransferAsync(EslOutboundSession session, string extension, string dialplan, string context, CancellationToken stopping) =>
        session.TransferAsync(extension, dialplan, context, stopping);

    /// <summary>
    /// A ring attempt's commands, ending in its bridge, in one write: everything before the bridge goes out with it,
    /// no round trip in between. Completes with the bridge's CHANNEL_EXECUTE_COMPLETE, when the bridge returns.
    /// </summary>
    public static Task<EslEvent> BridgeAsync(EslOutboundSession session, IReadOnlyList<PlannedCommand> commands, CancellationToken stopping) =>
        session.ExecuteAllAsync(ToExecutes(commands, null), stopping);

    /// <summary><c>intercept</c> of <paramref name="argument"/> after the guard's commands, in one write; completes with intercept's completion.</summary>
    public static Task<EslEvent> InterceptAsync(EslOutboundSession session, IReadOnlyList<PlannedCommand> guard, string argument, CancellationToken stopping) =>
        session.ExecuteAllAsync(ToExecutes(guard, new EslExecute("intercept", argument)), stopping);

    /// <summary>
    /// A SIP final response (optionally after early media), then hangup. An answered call cannot take a SIP
    /// error, so it gets the media and a hangup only.
    /// </summary>
    public static async Task RespondAsync(EslOutboundSession session, int code, string reason, string? media, CancellationToken stopping)
    {
        if (media is not null)
        {
            if (!session.IsAnswered)
            {
                await session.PreAnswerAsync(stopping).ConfigureAwait(false);
            }
            await PlaybackAsync(session, media, stopping).ConfigureAwait(false);
        }
        if (!session.IsAnswered)
        {
            await session.RespondAsync(code, AppArgument.Encode(reason), stopping).ConfigureAwait(false);
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

    private static EslExecute[] ToExecutes(IReadOnlyList<PlannedCommand> commands, EslExecute? last)
    {
        var executes = new EslExecute[commands.Count + (last is null ? 0 : 1)];
        for (var i = 0; i < commands.Count; i++)
        {
            executes[i] = new EslExecute(commands[i].Application, commands[i].Argument);
        }
        if (last is not null)
        {
            executes[^1] = last;
        }
        return executes;
    }
}
