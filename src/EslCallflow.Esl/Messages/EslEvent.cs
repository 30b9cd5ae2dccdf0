using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Messages;

/// <summary>A FreeSWITCH event, whichever format (plain, json, xml) it arrived in.</summary>
public sealed class EslEvent
{
    public EslEvent(EslHeaders headers, string? body = null)
    {
        Headers = headers;
        Body = body;
    }

    public EslHeaders Headers { get; }

    /// <summary>The event body (BACKGROUND_JOB result, json <c>_body</c>), if any.</summary>
    public string? Body { get; }

    public string? this[string header] => Headers[header];

    public string EventName => Headers["Event-Name"] ?? string.Empty;
    public string? UniqueId => Headers["Unique-ID"];
    public string? OtherLegUniqueId => Headers["Other-Leg-Unique-ID"];
    public string? ChannelCallState => Headers["Channel-Call-State"];
    public string? AnswerState => Headers["Answer-State"];
    public string? CallDirection => Headers["Call-Direction"];
    public string? HangupCause => Headers["Hangup-Cause"];
    public string? JobUuid => Headers["Job-UUID"];
    public string? Application => Headers["Application"];
    public string? ApplicationUuid => Headers["Application-UUID"];
    public string? ApplicationResponse => Headers["Application-Response"];

    /// <summary>Channel variable <paramref name="name"/> (the <c>variable_</c> header).</summary>
    public string? GetVariable(string name) => Headers["variable_" + name];

    public override string ToString() => $"{EventName} {UniqueId}";
}
