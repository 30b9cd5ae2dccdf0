namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>What a phone sends first when it is rung, after its 100 Trying.</summary>
public enum Provisional
{
    /// <summary>Nothing beyond 100 Trying.</summary>
    None,
    /// <summary>180 Ringing, no SDP.</summary>
    Ringing,
    /// <summary>183 Session Progress with SDP: early media, as many phones and gateways send.</summary>
    EarlyMedia,
}

/// <summary>How a phone handles each INVITE it gets: what it sends first, and whether it answers or rejects, and when.</summary>
public sealed record PhoneBehaviour(Provisional Provisional, TimeSpan? AnswerAfter, int? RejectCode, TimeSpan RejectAfter)
{
    /// <summary>Rings (180) and never answers: the phone on a desk nobody sits at.</summary>
    public static PhoneBehaviour Rings { get; } = new(Provisional.Ringing, null, null, TimeSpan.Zero);

    /// <summary>Sends 183 with SDP and never answers.</summary>
    public static PhoneBehaviour RingsWithEarlyMedia { get; } = new(Provisional.EarlyMedia, null, null, TimeSpan.Zero);

    public static PhoneBehaviour AnswersAfter(TimeSpan after, Provisional provisional = Provisional.Ringing) => new(provisional, after, null, TimeSpan.Zero);

    /// <summary>486 Busy Here after <paramref name="after"/>.</summary>
    public static PhoneBehaviour Busy(TimeSpan after) => new(Provisional.Ringing, null, 486, after);

    /// <summary>603 Decline after <paramref name="after"/>.</summary>
    public static PhoneBehaviour Declines(TimeSpan after) => new(Provisional.Ringing, null, 603, after);

    public static string ReasonPhrase(int code) => code switch
    {
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        403 => "Forbidden",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        487 => "Request Terminated",
        603 => "Decline",
        _ => "Response",
    };
}
