using EslCallflow.Callflows.Pickup;

namespace EslCallflow.Callflows.Modules;

/// <summary>
/// A module that picks up a call ringing elsewhere: who may pick up, and which devices it may take a call from.
/// The daemon's pickup and <c>plan</c> read any such module through this alone.
/// </summary>
public interface IPickupData : IModuleData
{
    /// <summary>Who may pick up: the most restrictive approval set, or null for anyone.</summary>
    PickupScope? Approved { get; }

    /// <summary>
    /// The devices a call may be picked up from, given what the callflow's pattern captured; null when the capture
    /// names nothing known.
    /// </summary>
    DirectedPickupTarget? Target(PbxConfiguration config, IReadOnlyList<string> captures);

    /// <summary>How the target was asked for, for logs: its kind and what names it (<c>group</c>, <c>sales</c>; <c>extension</c>, <c>1001</c>).</summary>
    (string Kind, string Name) Asked(IReadOnlyList<string> captures);
}
