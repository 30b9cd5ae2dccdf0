using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls.Modules;

/// <summary>callflow (KAZOO cf_callflow): continues with another callflow's flow.</summary>
public sealed class CallflowJumpModule : CallflowModule<CallflowJumpData>
{
    protected override ModuleStep Step(ICall call, FlowNode node, CallflowJumpData data, bool answered) =>
        new([]) { Jump = call.Config.Callflows.GetValueOrDefault(data.Id) };
}
