namespace EslCallflow.Cluster;

/// <summary>
/// The store's keys, all under <see cref="ClusterOptions.KeyPrefix"/>:
/// <list type="bullet">
/// <item><c>node:{id}</c>: a node's heartbeat, holding its SIP URI; expires after <see cref="ClusterOptions.NodeTtl"/>.</item>
/// <item><c>leg:{uuid}</c>: a ringing leg (<see cref="RingingEntry"/> as JSON); expires after <see cref="ClusterOptions.LegTtl"/>.</item>
/// <item><c>ringing:{device key}</c>: the legs ringing on a device, a sorted set of leg uuids scored by when they started.</item>
/// <item><c>nodelegs:{id}</c>: the legs a node has published, so that after a restart it can delete those gone meanwhile.</item>
/// <item><c>claim:{call}</c>: the one pickup under way for a ringing call (SET NX PX).</item>
/// <item><c>state:{name}</c>: state that ring-group features keep (rotation pointers, member log-in).</item>
/// </list>
/// </summary>
internal sealed class ClusterKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public string Node(string nodeId) => Prefix + "node:" + nodeId;

    public string Leg(string legUuid) => Prefix + "leg:" + legUuid;

    public string Ringing(string deviceKey) => Prefix + "ringing:" + deviceKey;

    public string NodeLegs(string nodeId) => Prefix + "nodelegs:" + nodeId;

    public string Claim(string callKey) => Prefix + "claim:" + callKey;

    public string State(string name) => Prefix + "state:" + name;
}
