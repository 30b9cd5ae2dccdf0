using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Pickup;

/// <summary>Which devices a pickup scope or approval names: a device, a user's devices, or a group's devices (nested groups included).</summary>
public static class PickupScopes
{
    public static IReadOnlyList<Device> DevicesIn(PbxConfiguration config, PickupScope scope)
    {
        var found = new List<Device>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Collect(config, scope.Kind switch
        {
            PickupScopeKind.Device => EndpointType.Device,
            PickupScopeKind.User => EndpointType.User,
            _ => EndpointType.Group,
        }, scope.Id, found, seen, new HashSet<string>(StringComparer.Ordinal));
        return found;
    }

    private static void Collect(PbxConfiguration config, EndpointType type, string id, List<Device> found, HashSet<string> seen, HashSet<string> groupsVisited)
    {
        switch (type)
        {
            case EndpointType.Device when config.Devices.TryGetValue(id, out var device):
                if (seen.Add(device.Id))
                {
                    found.Add(device);
                }
                break;
            case EndpointType.User:
                foreach (var owned in config.DevicesOf(id))
                {
                    Collect(config, EndpointType.Device, owned.Id, found, seen, groupsVisited);
                }
                break;
            case EndpointType.Group when groupsVisited.Add(id) && config.Groups.TryGetValue(id, out var group):
                foreach (var endpoint in group.Endpoints)
                {
                    Collect(config, endpoint.Type, endpoint.Id, found, seen, groupsVisited);
                }
                break;
        }
    }
}
