using System.Globalization;
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
                await session.ExecuteAsync("pre_answer", null, stopping).ConfigureAwait(false);
            }
            await session.ExecuteAsync("playback", AppArgument.Encode(media), stopping).ConfigureAwait(false);
        }
        if (!session.IsAnswered)
        {
            // mod_sofia.c (SWITCH_MESSAGE_INDICATE_RESPOND): the code, then everything after the first space is the reason phrase.
            var argument = reason.Length == 0 ? code.ToString(CultureInfo.InvariantCulture) : $"{code} {reason}";
            await session.ExecuteAsync("respond", AppArgument.Encode(argument), stopping).ConfigureAwait(false);
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
