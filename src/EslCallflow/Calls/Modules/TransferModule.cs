using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Metrics;

namespace EslCallflow.Calls.Modules;

/// <summary>transfer: hands the call to an extension of a FreeSWITCH dialplan and context; terminal for the daemon.</summary>
public sealed class TransferModule(DaemonMetrics metrics) : CallflowModule<TransferData>
{
    protected override async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, TransferData data, CancellationToken stopping)
    {
        await SessionActions.TransferAsync(call.Session, data.Extension, data.Dialplan, data.Context, stopping).ConfigureAwait(false);
        call.Decide(metrics, node.Module, "transferred");
        return null;
    }
}
