using System.Globalization;
using EslCallflow.Calls;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.Modules;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Operations;
using EslCallflow.Tracking;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EslCallflow.Dialplan;

/// <summary>
/// A call's flow as dialplan XML: walks the nodes from where the call is, each module adding the applications it
/// runs on the socket path (the same commands, from the same planners), until a module whose next step depends on a
/// result (a ring attempt, an intercept), which is followed by a <c>transfer</c> into
/// <see cref="DialplanOptions.NextContext"/> so that the next fetch carries the result; or until the flow ends.
/// </summary>
public sealed partial class DialplanFlow
{
    private const int MaxFlowSteps = 32;
    private readonly ChannelTracker _tracker;
    private readonly PickupClaims _claims;
    private readonly DaemonMetrics _metrics;
    private readonly PickupOptions _pickup;
    private readonly TimeProvider _time;
    private readonly ILogger<DialplanFlow> _logger;

    public DialplanFlow(ChannelTracker tracker, PickupClaims claims, DaemonMetrics metrics, IOptions<PickupOptions> pickup, TimeProvider time, ILogger<DialplanFlow> logger)
    {
        _tracker = tracker;
        _claims = claims;
        _metrics = metrics;
        _pickup = pickup.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The XML for a call that starts at <paramref name="start"/>; <paramref name="answered"/>: the channel is answered already.</summary>
    public DialplanStep Walk(DialplanCall call, FlowPosition? start, bool answered) => Walk(call, start, answered, []);

    private DialplanStep Walk(DialplanCall call, FlowPosition? start, bool answered, List<PlannedCommand> commands)
    {
        var position = start;
        for (var step = 0; position is { } at; step++)
        {
            if (step >= MaxFlowSteps)
            {
                DialplanLog.TooManySteps(_logger, call.Uuid, MaxFlowSteps);
                call.Outcome.Decide("error");
                commands.Add(new("hangup", "NORMAL_TEMPORARY_FAILURE"));
                return new DialplanStep(commands, StepEnd.CallEnds);
            }
            var node = at.Node;
            if (node.Parsed is IModuleData { SkipModule: true })
            {
                DialplanLog.Skipped(_logger, call.Uuid, node.Module);
                position = at.Child(FlowNode.DefaultChild);
                continue;
            }
            switch (node.Parsed)
            {
                case RingGroupData ring:
                    if (Ring(call, at, ring, 1, commands, out position) is { } ringStep)
                    {
                        return ringStep;
                    }
                    break;
                case RingTargetData target:
                    if (Ring(call, at, target.AsRingGroup(), 1, commands, out position) is { } targetStep)
                    {
                        return targetStep;
                    }
                    break;
                case PlayData play:
                    // KAZOO cf_play answers first, unless told not to (PlayModule on the socket path).
                    if (play.Answer && !answered)
                    {
                        commands.Add(new("answer", null));
                        answered = true;
                    }
                    commands.Add(new("playback", AppArgument.Encode(play.Media)));
                    position = at.Child(FlowNode.DefaultChild);
                    break;
                case ResponseData response:
                    Respond(commands, response.Code, response.Message, response.Media, answered);
                    call.Decide(_metrics, node.Module, "responded");
                    return new DialplanStep(commands, StepEnd.CallEnds);
                case CallflowJumpData jump:
                    position = call.Config.Callflows.TryGetValue(jump.Id, out var target2) ? FlowPosition.Root(target2) : null;
                    break;
                case TransferData transfer:
                    commands.Add(new("transfer", $"{transfer.Extension} {transfer.Dialplan} {transfer.Context}"));
                    call.Decide(_metrics, node.Module, "transferred");
                    return new DialplanStep(commands, StepEnd.HandedOver);
                case GroupPickupData groupPickup:
                    return StartPickup(call, at, PickupRequest.For(call.Config, groupPickup), commands);
                case GroupPickupFeatureData feature:
                    return StartDirectedPickup(call, at, feature, commands);
                default:
                    throw new InvalidOperationException($"module '{node.Module}' has no dialplan step");
            }
        }
        // The flow is over: FreeSWITCH ends the call once the extension has run, as it does after `socket` returns.
        return new DialplanStep(commands, StepEnd.CallEnds);
    }

    /// <summary>
    /// A SIP final response (optionally after early media), then hangup; an answered call gets the media and the
    /// hangup only (SessionActions.RespondAsync on the socket path). mod_sofia.c (SWITCH_MESSAGE_INDICATE_RESPOND):
    /// the code, then everything after the first space is the reason phrase.
    /// </summary>
    private static void Respond(List<PlannedCommand> commands, int code, string reason, string? media, bool answered)
    {
        if (media is not null)
        {
            if (!answered)
            {
                commands.Add(new("pre_answer", null));
            }
            commands.Add(new("playback", AppArgument.Encode(media)));
        }
        if (!answered)
        {
            var text = code.ToString(CultureInfo.InvariantCulture);
            commands.Add(new("respond", AppArgument.Encode(reason.Length == 0 ? text : $"{text} {reason}")));
        }
        commands.Add(new("hangup", "NORMAL_CLEARING"));
    }

    /// <summary>Whether the channel that fetched is answered (intercept's early answer and ring_ready's 180 are not).</summary>
    public static bool IsAnswered(DialplanFetch fetch) => fetch.Channel.AnswerState == "answered";

    /// <summary>The transfer that brings the call back to the daemon, in its own context, once the result is known.</summary>
    private static PlannedCommand Continuation(ContinuationToken token) =>
        new("transfer", $"{token.Encode()} XML {DialplanOptions.NextContext}");
}
