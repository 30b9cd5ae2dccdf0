namespace EslCallflow.Delivery;

/// <summary>
/// Where a waiting event's JSON is: its bytes in a spool segment (<see cref="Segment"/> from 1), or, when the disk
/// could not take it, an event the spool keeps in memory (<see cref="Segment"/> 0, <see cref="Offset"/> its key).
/// All a queue holds per waiting event, so a full queue costs a few bytes an event, not its JSON.
/// </summary>
public readonly record struct SpoolEntry(long Segment, long Offset, int Length)
{
    public bool InMemory => Segment == 0;
}
