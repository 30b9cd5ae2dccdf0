using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.Loading;

/// <summary>The <c>endpoint_type</c> (ring groups) and <c>type</c> (groups) values KAZOO documents use.</summary>
internal static class EndpointTypeNames
{
    public static readonly IReadOnlyDictionary<string, EndpointType> ByName = new Dictionary<string, EndpointType>(StringComparer.Ordinal)
    {
        ["device"] = EndpointType.Device,
        ["user"] = EndpointType.User,
        ["group"] = EndpointType.Group,
    };
}
