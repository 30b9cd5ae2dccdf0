using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Calls;

/// <summary>
/// The runner of the module whose data is <typeparamref name="TData"/>: the data type gives the module names and
/// parses the node, this runs it, with the node's data typed. Deriving from it is the runner's whole registration
/// (<see cref="CallflowModules.Register"/> finds it).
/// </summary>
public abstract class CallflowModule<TData> : ICallflowModule where TData : class, IModuleData<TData>
{
    public Type DataType => typeof(TData);

    public IReadOnlyList<string> Names => TData.Modules;

    public ModuleStep? Step(ICall call, FlowNode node, bool answered) => Step(call, node, DataOf(node), answered);

    public Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping) => RunAsync(call, node, DataOf(node), stopping);

    /// <summary>What the module runs on <paramref name="data"/>, the node's own, on both ways in; null when it waits on a result.</summary>
    protected virtual ModuleStep? Step(ICall call, FlowNode node, TData data, bool answered) => null;

    /// <summary>Runs a module that waits on a result on <paramref name="data"/>, the node's own (the socket path's run of it).</summary>
    protected virtual Task<FlowNode?> RunAsync(CallContext call, FlowNode node, TData data, CancellationToken stopping) =>
        throw new InvalidOperationException($"{GetType().Name} has neither a step nor a run of its own");

    private static TData DataOf(FlowNode node) =>
        node.Parsed as TData
            ?? throw new InvalidOperationException($"module '{node.Module}' carries {node.Parsed?.GetType().Name ?? "no data"}, not {typeof(TData).Name}");
}
