using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>transfer: hands the call to an extension of a FreeSWITCH dialplan and context; terminal for the daemon.</summary>
public sealed class TransferModule : CallflowModule<TransferData>
{
    protected override ModuleStep Step(ICall call, FlowNode node, TransferData data, bool answered) =>
        new([CallCommands.Transfer(data.Extension, data.Dialplan, data.Context)])
        {
            HandsOver = true,
            Outcome = "transferred",
        };
}
