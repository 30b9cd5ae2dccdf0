using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>callflow (KAZOO cf_callflow): continues with another callflow's flow.</summary>
public sealed class CallflowJumpModule : CallflowModule<CallflowJumpData>
{
    protected override Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CallflowJumpData data, CancellationToken stopping) =>
        Task.FromResult(call.Config.Callflows.TryGetValue(data.Id, out var target) ? target.Flow : null);
}
