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

    public Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping) =>
        node.Parsed is TData data
            ? RunAsync(call, node, data, stopping)
            : throw new InvalidOperationException($"module '{node.Module}' carries {node.Parsed?.GetType().Name ?? "no data"}, not {typeof(TData).Name}");

    /// <summary>Runs the module on <paramref name="data"/>, the node's own.</summary>
    protected abstract Task<FlowNode?> RunAsync(CallContext call, FlowNode node, TData data, CancellationToken stopping);
}
