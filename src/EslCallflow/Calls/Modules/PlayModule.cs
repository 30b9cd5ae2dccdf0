using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>play (KAZOO cf_play): answers the call unless <c>answer</c> is false, plays the media, goes on to <c>_</c>.</summary>
public sealed class PlayModule : CallflowModule<PlayData>
{
    protected override ModuleStep Step(ICall call, FlowNode node, PlayData data, bool answered) =>
        new(data.Answer && !answered ? [CallCommands.Answer, CallCommands.Playback(data.Media)] : [CallCommands.Playback(data.Media)])
        {
            Child = FlowNode.DefaultChild,
        };
}
