using EslCallflow.Callflows.Documents;

namespace EslCallflow.Calls;

/// <summary>
/// One callflow module at run time, as KAZOO's <c>cf_&lt;module&gt;.erl</c>: it acts on the call with the node's
/// data (parsed and validated when the documents loaded) and says where the flow goes next. Implemented only
/// through <see cref="CallflowModule{TData}"/>, which ties a runner to its data type.
/// </summary>
public interface ICallflowModule
{
    /// <summary>The data type this runner runs; documents name it by the data's module names.</summary>
    Type DataType { get; }

    /// <summary>The <c>module</c> names in callflow documents that this runner runs.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>
    /// What the module runs, the same on both ways in (<see cref="ModuleStep"/>); null for a module whose next step
    /// waits on a result, which <see cref="RunAsync"/> runs on the socket path.
    /// </summary>
    /// <param name="answered">Whether the call is answered before the module runs.</param>
    ModuleStep? Step(ICall call, FlowNode node, bool answered);

    /// <summary>Runs a module that has no <see cref="Step"/>; returns the next node (usually a child of <paramref name="node"/>), or null when the call is done.</summary>
    Task<FlowNode?> RunAsync(CallContext call, FlowNode node, CancellationToken stopping);
}
