using System.Runtime.CompilerServices;
using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Calls.Ringing;

namespace EslCallflow.Dialplan;

/// <summary>
/// What a callflow's nodes, and those of the callflows it jumps to, need before the dialplan path walks them: the ring
/// groups whose memory is read first (the walk itself does not wait), and the modules it leaves to the outbound socket.
/// Worked out once per callflow of a loaded configuration (both are immutable).
/// </summary>
internal sealed record CallflowNeeds(IReadOnlyList<RingGroupData> Remembering, bool Toggles, bool PicksUp)
{
    /// <summary>Which memory a ring group reads (ring_group data is made afresh for a device or user node).</summary>
    public static (string? StateKey, string? CallflowId) MemoryKey(RingGroupData data) => (data.StateKey, data.CallflowId);

    private static readonly ConditionalWeakTable<Callflow, CallflowNeeds> Known = new();

    public static CallflowNeeds Of(PbxConfiguration config, Callflow callflow) =>
        Known.GetValue(callflow, c => Find(config, c));

    /// <summary>
    /// Why the call is the outbound socket's, or null: ring_group_toggle (its tone, its presence and its write to the
    /// group's state are the socket runner's; a toggle is rare and not waiting for a ring), and, with several switches,
    /// a pickup (the cluster's claims across nodes and its move of the picker run on the socket path).
    /// </summary>
    public string? SocketOnly(bool cluster) => Toggles ? "it has a ring_group_toggle" : PicksUp && cluster ? "a pickup with several switches" : null;

    private static CallflowNeeds Find(PbxConfiguration config, Callflow callflow)
    {
        var remembering = new List<RingGroupData>();
        var (toggles, picksUp) = (false, false);
        var seen = new HashSet<string>(StringComparer.Ordinal) { callflow.Id };
        var nodes = new Stack<FlowNode>([callflow.Flow]);
        while (nodes.TryPop(out var node))
        {
            switch (node.Parsed)
            {
                case RingGroupData ring when RingMemory.Remembers(ring):
                    remembering.Add(ring);
                    break;
                case RingTargetData target when RingMemory.Remembers(target.Rings):
                    remembering.Add(target.Rings);
                    break;
                case RingGroupToggleData:
                    toggles = true;
                    break;
                case IPickupData:
                    picksUp = true;
                    break;
                case CallflowJumpData jump when seen.Add(jump.Id) && config.Callflows.TryGetValue(jump.Id, out var jumped):
                    nodes.Push(jumped.Flow);
                    break;
            }
            foreach (var child in node.Children.Values)
            {
                nodes.Push(child);
            }
        }
        return new CallflowNeeds(remembering, toggles, picksUp);
    }
}
