using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>callflow (KAZOO cf_callflow): continues with another callflow's flow.</summary>
public sealed class CallflowJumpModule : ICallflowModule
{
    public string Name => CallflowJumpData.Module;

    public Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping)
    {
        var jump = (CallflowJumpData)node.Parsed!;
        return Task.FromResult(call.Config.Callflows.TryGetValue(jump.Id, out var target) ? target.Flow : null);
    }
}
