using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>response (KAZOO cf_response): a SIP error, optionally after early media; terminal.</summary>
public sealed class ResponseModule : CallflowModule<ResponseData>
{
    protected override ModuleStep Step(ICall call, FlowNode node, ResponseData data, bool answered) =>
        new(CallCommands.Respond(data.Code, data.Message, data.Media, answered))
        {
            HangupCause = "NORMAL_CLEARING",
            Outcome = "responded",
        };
}
