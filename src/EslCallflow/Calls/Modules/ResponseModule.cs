using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Metrics;

namespace EslCallflow.Calls.Modules;

/// <summary>response (KAZOO cf_response): a SIP error, optionally after early media; terminal.</summary>
public sealed class ResponseModule(DaemonMetrics metrics) : CallflowModule<ResponseData>
{
    protected override async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, ResponseData data, CancellationToken stopping)
    {
        await SessionActions.RespondAsync(call.Session, data.Code, data.Message, data.Media, stopping).ConfigureAwait(false);
        call.Decide(metrics, node.Module, "responded");
        return null;
    }
}
