namespace EslCallflow.Calls;

/// <summary>
/// A call's outcome as its modules decide it. The last decision is the call's: a ring group that missed and whose
/// child rang again ends as that child ended. <see cref="CallHandler"/> counts it once, when the call's flow is over.
/// </summary>
public sealed class CallOutcome
{
    private string? _decided;

    /// <summary>The last outcome a module decided, or null when none did (a flow of play, callflow jumps...).</summary>
    public string? Decided => Volatile.Read(ref _decided);

    public void Decide(string outcome) => Volatile.Write(ref _decided, outcome);
}
