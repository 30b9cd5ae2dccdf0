using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// One callflow module's <c>data</c>, parsed and validated when the documents load (KAZOO's <c>cf_&lt;module&gt;</c>
/// schema). What the rest of the code asks of any module, whichever it is.
/// </summary>
public interface IModuleData
{
    /// <summary><c>skip_module</c>: the flow goes straight on to the <c>_</c> child.</summary>
    bool SkipModule { get; }

    /// <summary>The documents this data names; the loader refuses a configuration where one does not exist.</summary>
    IEnumerable<DocumentReference> References => [];

    /// <summary>
    /// What the module rings, as a ring group, when it rings phones: a directed pickup of its extension takes calls
    /// ringing there, and <c>plan</c> prints its first attempt. Null for a module that rings nothing.
    /// </summary>
    RingGroupData? Rings => null;
}

/// <summary>
/// A module's data type, found by <see cref="ModuleCatalog"/> without a list to edit: its module names and its
/// parser. The daemon's runner for it is typed by it (<c>CallflowModule&lt;TData&gt;</c>), so a runner cannot name
/// data that does not exist, and the daemon refuses to start when data has no runner.
/// </summary>
public interface IModuleData<TSelf> : IModuleData where TSelf : class, IModuleData<TSelf>
{
    /// <summary>The <c>module</c> names documents use for this data (device and user share theirs).</summary>
    static abstract IReadOnlyList<string> Modules { get; }

    /// <summary>The data of a node whose module is <paramref name="module"/>, or null with its errors recorded by <paramref name="reader"/>.</summary>
    static abstract TSelf? Parse(string module, DocumentReader reader, JsonElement data, string path);
}

/// <summary>The kinds of document a module's data can name.</summary>
public enum DocumentKind
{
    Device,
    User,
    Group,
    Callflow,
    /// <summary>A callflow whose ring group a module acts on (ring_group_toggle); the flow does not go on to it.</summary>
    RingGroupCallflow,
}

/// <summary>A document named by a module's data, and the field (relative to <c>data</c>) that names it.</summary>
public sealed record DocumentReference(DocumentKind Kind, string Id, string Field)
{
    public static DocumentKind KindOf(EndpointType type) => type switch
    {
        EndpointType.Device => DocumentKind.Device,
        EndpointType.User => DocumentKind.User,
        EndpointType.Group => DocumentKind.Group,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not an endpoint type"),
    };
}
