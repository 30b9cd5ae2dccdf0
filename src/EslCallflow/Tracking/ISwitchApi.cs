namespace EslCallflow.Tracking;

/// <summary>
/// An <c>api</c> command on the switch the channel feed follows, for the rare repair that needs one (ending a call
/// FreeSWITCH left with nobody). Throws <see cref="Esl.EslConnectionClosedException"/> while the feed is down.
/// </summary>
public interface ISwitchApi
{
    Task<string> ApiAsync(string command, CancellationToken cancellationToken);
}
