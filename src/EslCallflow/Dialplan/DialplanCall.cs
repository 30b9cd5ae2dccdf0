using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.Pickup;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Calls;
using EslCallflow.Calls.Pickup;
using EslCallflow.Calls.Ringing;
using EslCallflow.Metrics;
using EslCallflow.GroupState;
using EslCallflow.Records;

namespace EslCallflow.Dialplan;

/// <summary>A node of a call's flow, and where it is: its callflow and the child keys from that callflow's root.</summary>
internal sealed record FlowPosition(FlowNode Node, string CallflowId, IReadOnlyList<string> Path)
{
    public static FlowPosition Root(Callflow callflow) => new(callflow.Flow, callflow.Id, []);

    public FlowPosition? Child(string key) => Node.Child(key) is { } child ? new(child, CallflowId, [.. Path, key]) : null;

    public ContinuationToken Token(int attempt) => new(CallflowId, Path, attempt);
}

/// <summary>What a call's flow waits for after its XML went out: a ring attempt's result, or a pickup's.</summary>
internal abstract record Waiting(FlowPosition At);

/// <summary>
/// A ring attempt on its way: the legs and who was left out (the plan without its text, which is not kept while
/// the call rings), when it started.
/// </summary>
internal sealed record RingWaiting(FlowPosition At, RingGroupData Data, int Attempt, RingGroupAttempt Plan, long RingingSince, GroupMemory Memory) : Waiting(At);

/// <summary>An intercept on its way: the call claimed behind its guard, the target, and the calls already tried.</summary>
internal sealed record PickupWaiting(FlowPosition At, DirectedPickupTarget Target, PickupClaim Claim, HashSet<string> Tried) : Waiting(At);

/// <summary>How the XML that a fetch got leaves the call.</summary>
internal enum StepEnd
{
    /// <summary>It ends in a transfer back to the daemon once a result is known (<see cref="DialplanStep.Waiting"/>).</summary>
    Waits,
    /// <summary>The call ends when the XML has run (a response, a hangup, the flow's end): its record ends with the channel.</summary>
    CallEnds,
    /// <summary>The call goes on beyond the daemon (transferred): its record ends now.</summary>
    HandedOver,
}

/// <summary>
/// The applications one fetch's XML runs, and what happens after them; <see cref="PickedUp"/>: a pickup that took its
/// call, whose conversation is then followed.
/// </summary>
internal sealed record DialplanStep(IReadOnlyList<PlannedCommand> Commands, StepEnd End, Waiting? Waiting = null)
{
    public PickupResult? PickedUp { get; init; }
}

/// <summary>
/// One call the daemon runs through FreeSWITCH's dialplan: what its socket session holds on the other path (the
/// configuration it started with, who calls, the number, its record and outcome), and what its flow waits for
/// between fetches. Changed under <see cref="Gate"/> only: a fetch and the channel feed may act on it at once.
/// </summary>
public sealed class DialplanCall(string uuid, PbxConfiguration config, CallerContext caller, string number, IReadOnlyList<string> captures, CallRecorder record) : ICall
{
    public string Uuid { get; } = uuid;
    public PbxConfiguration Config { get; } = config;
    public CallerContext Caller { get; } = caller;
    public string Number { get; } = number;
    public IReadOnlyList<string> Captures { get; } = captures;
    public CallRecorder Record { get; } = record;
    public CallOutcome Outcome { get; } = new();
    public Lock Gate { get; } = new();

    /// <summary>Cancelled when the call is finished: every watch on the feed for it goes.</summary>
    public CancellationTokenSource Lifetime { get; } = new();

    /// <summary>What its callflow needs before a walk (<see cref="CallflowNeeds"/>).</summary>
    internal CallflowNeeds Needs { get; init; } = new([], false, false);

    /// <summary>The ring groups' memories read before the step in progress (<see cref="CallflowNeeds.Remembering"/>).</summary>
    internal IReadOnlyDictionary<(string?, string?), GroupMemory> Memories { get; set; } = new Dictionary<(string?, string?), GroupMemory>();

    /// <summary>The memory read for <paramref name="data"/>'s group before this step; none when it remembers nothing.</summary>
    internal GroupMemory MemoryOf(RingGroupData data) => Memories.GetValueOrDefault(CallflowNeeds.MemoryKey(data)) ?? GroupMemory.Empty;

    /// <summary>What the flow waits for now; null between steps and once the flow is over.</summary>
    internal Waiting? Waiting { get; set; }

    /// <summary>Cancels the watches of the step in progress (a ring attempt's, an intercept's).</summary>
    internal CancellationTokenSource? StepWatch { get; set; }

    /// <summary>The step's watch for the channel joined to another leg.</summary>
    internal Task<string>? StepJoin { get; set; }

    /// <summary>Nodes run so far: a flow that runs more than <see cref="CallReport.MaxFlowSteps"/> is ended.</summary>
    internal int Steps { get; set; }

    /// <summary>A phone answered: which, and when (the conversation runs until the channel ends).</summary>
    internal (string Device, long Since)? Talking { get; set; }

    /// <summary>The answered conversation's end, once the channel's hangup is seen (the socket path's RingEnd.Answered.Talk).</summary>
    internal TaskCompletionSource<TalkEnd> Talk { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A pickup joined it to another call: its end is the conversation's, followed by <see cref="ConversationWatch"/>.</summary>
    internal bool Following { get; set; }

    /// <summary>The XML served last ends the call (or hands it over): no further step will come.</summary>
    internal bool FlowOver { get; set; }

    /// <summary>The record has ended.</summary>
    internal bool Finished { get; set; }

    public void Decide(DaemonMetrics metrics, string module, string outcome)
    {
        metrics.ModuleEnded(module, outcome);
        Outcome.Decide(outcome);
        Record.Decided(outcome);
    }
}
