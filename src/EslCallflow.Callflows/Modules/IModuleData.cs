using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// One callflow module's <c>data</c>, parsed and validated when the documents load (KAZOO's <c>cf_&lt;module&gt;</c>
/// schema). Each module keeps its record and its parser in one file here; <see cref="ModuleCatalog"/> lists them.
/// </summary>
public interface IModuleData
{
    /// <summary><c>skip_module</c>: the flow goes straight on to the <c>_</c> child.</summary>
    bool SkipModule { get; }

    /// <summary>The documents this data names; the loader refuses a configuration where one does not exist.</summary>
    IEnumerable<DocumentReference> References => [];
}

/// <summary>The kinds of document a module's data can name.</summary>
public enum DocumentKind
{
    Device,
    User,
    Group,
    Callflow,
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
