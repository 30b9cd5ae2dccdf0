namespace EslCallflow.Tracking;

/// <summary>
/// An <c>api</c> command on the switch the channel feed follows, for the rare repair that needs one (ending a call
/// FreeSWITCH left with nobody). Throws <see cref="Esl.EslConnectionClosedException"/> while the feed is down.
/// </summary>
public interface ISwitchApi
{
    Task<string> ApiAsync(string command, CancellationToken cancellationToken);

    /// <summary>
    /// Fires an event of <paramref name="eventName"/> in the switch (<c>sendevent</c>), e.g. a PRESENCE_IN, with a
    /// <c>Unique-ID</c> of <paramref name="notAChannel"/>, a UUID that names no channel.
    /// </summary>
    Task SendEventAsync(string eventName, Guid notAChannel, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken);
}
