using System.Net;
using Microsoft.Extensions.Logging;

namespace EslCallflow.Dialplan;

/// <summary>
/// The dialplan path's log lines. What a call does is told with the same event ids and words as on the socket
/// path (the call's flow, its ring attempts, its pickups), so a log reader, and the real-switch suite, read either
/// path's calls alike; the 8xxx ids are the fetch endpoint's own.
/// </summary>
internal static partial class DialplanLog
{
    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Call {CallUuid} to {Number}: callflow {CallflowId}, caller {CallerDevice}")]
    public static partial void Started(ILogger logger, string callUuid, string number, string callflowId, string callerDevice);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Call {CallUuid}: {ModuleName} skipped (skip_module)")]
    public static partial void Skipped(ILogger logger, string callUuid, string moduleName);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Call {CallUuid}: flow exceeded {MaxSteps} steps (callflow loop?); ending the call")]
    public static partial void TooManySteps(ILogger logger, string callUuid, int maxSteps);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Call {CallUuid} to {Number}: flow failed ({Reason}); ending the call")]
    public static partial void FlowFailed(ILogger logger, Exception ex, string callUuid, string number, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Call {CallUuid}: caller hung up")]
    public static partial void CallGone(ILogger logger, string callUuid);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Call {CallUuid}: device {DeviceId} not rung: {Reason}")]
    public static partial void Excluded(ILogger logger, string callUuid, string deviceId, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Call {CallUuid}: no device left to ring")]
    public static partial void NobodyToRing(ILogger logger, string callUuid);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Call {CallUuid}: ringing {LegCount} leg(s), attempt {Attempt}/{Repeats}: {DialString}")]
    public static partial void Ringing(ILogger logger, string callUuid, int attempt, int repeats, int legCount, string dialString);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome answered by {AnsweredDevice} after {RingSeconds:0.0} s (leg {AnsweredLeg})")]
    public static partial void Answered(ILogger logger, string callUuid, string answeredDevice, string answeredLeg, double ringSeconds);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Call {CallUuid}: ended after {TalkSeconds:0.0} s with {AnsweredDevice}; {HungUpBy} hung up ({Cause})")]
    public static partial void TalkEnded(ILogger logger, string callUuid, double talkSeconds, string answeredDevice, string hungUpBy, string cause);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome missed ({Cause})")]
    public static partial void Missed(ILogger logger, string callUuid, string cause);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "Call {CallUuid}: attempt {Attempt} not answered ({Cause})")]
    public static partial void AttemptFailed(ILogger logger, string callUuid, int attempt, string cause);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome answered by pickup: {PickerDevice} (leg {PickerLeg})")]
    public static partial void PickedUpFromRingGroup(ILogger logger, string callUuid, string pickerDevice, string pickerLeg);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Call {CallUuid}: pickup refused for {PickerDevice}: {Reason}; responding {SipCode}")]
    public static partial void PickupRefused(ILogger logger, string callUuid, string pickerDevice, string reason, int sipCode);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Call {CallUuid}: nothing to pick up for {PickerDevice} in {PickupScope}")]
    public static partial void NothingToPickUp(ILogger logger, string callUuid, string pickerDevice, string pickupScope);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Call {CallUuid}: call {PickupCall} ringing on {RingingDevice} is being picked up by someone else; trying the next")]
    public static partial void ClaimedElsewhere(ILogger logger, string callUuid, string pickupCall, string ringingDevice);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Call {CallUuid}: intercepting leg {RingingLeg} on {RingingDevice} (caller {CallerUuid}, guard {InterceptGuard})")]
    public static partial void Intercepting(ILogger logger, string callUuid, string ringingLeg, string ringingDevice, string callerUuid, string interceptGuard);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Call {CallUuid}: outcome picked up: {PickerDevice} took the call ringing on {RingingDevice} (caller {CallerUuid})")]
    public static partial void PickedUp(ILogger logger, string callUuid, string pickerDevice, string ringingDevice, string callerUuid);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Call {CallUuid}: intercept of leg {RingingLeg} on {RingingDevice} bridged nothing ({InterceptGuard} refused it, or it was answered or gone meanwhile)")]
    public static partial void InterceptFailed(ILogger logger, string callUuid, string ringingLeg, string ringingDevice, string interceptGuard);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Call {CallUuid}: ended after {TalkSeconds:0.0} s with picked-up call {PickedCall}; {HungUpBy} hung up ({Cause})")]
    public static partial void PickupConversationEnded(ILogger logger, string callUuid, double talkSeconds, string pickedCall, string hungUpBy, string cause);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Call {CallUuid}: directed pickup {Number}: no {TargetType} known as {Dialled}; responding {SipCode}")]
    public static partial void UnknownTarget(ILogger logger, string callUuid, string number, string dialled, string targetType, int sipCode);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Dialplan fetches on {Address} (mod_xml_curl gateway-url; contexts {Contexts}; basic authentication {Authentication})")]
    public static partial void Listening(ILogger logger, Uri address, string contexts, string authentication);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Dialplan fetch from {Peer} refused: {Reason}")]
    public static partial void Refused(ILogger logger, IPAddress? peer, string reason);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Debug, Message = "Call {CallUuid}: dialplan fetch for {Number} in context {Context}: not a callflow here ({Reason}); the static dialplan runs")]
    public static partial void NotFound(ILogger logger, string callUuid, string number, string context, string reason);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Call {CallUuid}: the channel feed is down; answering \"not found\" so that the static dialplan (the outbound socket) takes the call")]
    public static partial void FeedDown(ILogger logger, string callUuid);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Call {CallUuid}: continuation {Token} names nothing in the configuration; answering \"not found\"")]
    public static partial void UnknownContinuation(ILogger logger, string callUuid, string token);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Error, Message = "Dialplan fetch failed ({Reason}); answering \"not found\"")]
    public static partial void FetchFailed(ILogger logger, Exception ex, string reason);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Warning, Message = "Call {CallUuid}: the channel feed did not show the call's end within {Timeout}; its record ends with what the flow decided")]
    public static partial void EndNotSeen(ILogger logger, string callUuid, TimeSpan timeout);
}
