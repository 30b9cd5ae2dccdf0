using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Tests;

/// <summary>A pickup scope names a document of the same kind, whatever order the two enums are declared in.</summary>
public class PickupScopeTests
{
    [Theory]
    [InlineData(PickupScopeKind.Device, EndpointType.Device)]
    [InlineData(PickupScopeKind.User, EndpointType.User)]
    [InlineData(PickupScopeKind.Group, EndpointType.Group)]
    public void Each_scope_kind_maps_to_the_document_type_of_the_same_name(PickupScopeKind kind, EndpointType type)
    {
        Assert.Equal(type, new PickupScope(kind, "x").DocumentType);
    }

    [Fact]
    public void Every_scope_kind_has_a_document_type()
    {
        Assert.All(Enum.GetValues<PickupScopeKind>(), kind => Assert.Equal(kind.ToString(), new PickupScope(kind, "x").DocumentType.ToString()));
    }
}
