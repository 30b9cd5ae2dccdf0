using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>play (KAZOO cf_play): answers the call unless <c>answer</c> is false, plays the media, goes on to <c>_</c>.</summary>
public sealed class PlayModule : CallflowModule<PlayData>
{
    protected override async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, PlayData data, CancellationToken stopping)
    {
        if (data.Answer && !call.Session.IsAnswered)
        {
            await SessionActions.AnswerAsync(call.Session, stopping).ConfigureAwait(false);
        }
        await SessionActions.PlaybackAsync(call.Session, data.Media, stopping).ConfigureAwait(false);
        return node.Child(FlowNode.DefaultChild);
    }
}
