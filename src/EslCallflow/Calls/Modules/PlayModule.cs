using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>play (KAZOO cf_play): answers the call unless <c>answer</c> is false, plays the media, goes on to <c>_</c>.</summary>
public sealed class PlayModule : ICallflowModule
{
    public string Name => PlayData.Module;

    public async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        var play = (PlayData)node.Parsed!;
        if (play.Answer && !call.Session.IsAnswered)
        {
            await call.Session.AnswerAsync(stopping).ConfigureAwait(false);
        }
        await call.Session.PlaybackAsync(AppArgument.Encode(play.Media), stopping).ConfigureAwait(false);
        return node.Child(FlowNode.DefaultChild);
    }
}
