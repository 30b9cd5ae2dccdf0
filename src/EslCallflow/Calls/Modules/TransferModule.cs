using EslCallflow.Callflows.Documents;
using EslCallflow.Operations;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>transfer: hands the call to an extension of a FreeSWITCH dialplan and context; terminal for the daemon.</summary>
public sealed class TransferModule(DaemonMetrics metrics) : ICallflowModule
{
    public string Name => TransferData.Module;

    public async Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        var transfer = (TransferData)node.Parsed!;
        await call.Session.TransferAsync(transfer.Extension, transfer.Dialplan, transfer.Context, stopping).ConfigureAwait(false);
        call.Decide(metrics, node.Module, "transferred");
        return null;
    }
}
