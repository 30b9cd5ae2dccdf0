using EslCallflow.Callflows.Documents;
using EslCallflow.Operations;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>response (KAZOO cf_response): a SIP error, optionally after early media; terminal.</summary>
public sealed class ResponseModule(DaemonMetrics metrics) : ICallflowModule
{
    public string Name => ResponseData.Module;

    public async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        var response = (ResponseData)node.Parsed!;
        await SessionActions.RespondAsync(call.Session, response.Code, response.Message, response.Media, stopping).ConfigureAwait(false);
        call.Decide(metrics, node.Module, "responded");
        return null;
    }
}
