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
            await call.Session.ExecuteAsync("answer", null, stopping).ConfigureAwait(false);
        }
        await call.Session.ExecuteAsync("playback", AppArgument.Encode(play.Media), stopping).ConfigureAwait(false);
        return node.Child(FlowNode.DefaultChild);
    }
}
