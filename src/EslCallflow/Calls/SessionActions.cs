using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Esl;
using EslCallflow.Esl.Outbound;

namespace EslCallflow.Calls;

/// <summary>Ways a call's session ends that more than one module uses.</summary>
internal static class SessionActions
{
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
            await session.PlaybackAsync(AppArgument.Encode(media), stopping).ConfigureAwait(false);
        }
        if (!session.IsAnswered)
        {
            await session.RespondAsync(code, AppArgument.Encode(reason), stopping).ConfigureAwait(false);
        }
        await TryHangupAsync(session, "NORMAL_CLEARING", stopping).ConfigureAwait(false);
    }

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
}
