using System.Collections;
using System.Diagnostics.CodeAnalysis;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Messages;

/// <summary>
/// A FreeSWITCH event, whichever format (plain, json, xml) it arrived in: its headers, looked up by name (ordinal,
/// as FreeSWITCH does; a repeated name keeps its last value; a missing one reads as null), and its body.
/// </summary>
public sealed class EslEvent : IReadOnlyDictionary<string, string>
{
    private readonly EslHeaders _headers;

    /// <summary>An event with these headers, in order, and this body (for tests and fakes: the library decodes its own).</summary>
    public EslEvent(IEnumerable<KeyValuePair<string, string>> headers, string? body = null) : this(EslHeaders.From(headers), body)
    {
    }

    internal EslEvent(EslHeaders headers, string? body = null)
    {
        _headers = headers;
        Body = body;
    }

    /// <summary>The event body (BACKGROUND_JOB result, json <c>_body</c>), if any.</summary>
    public string? Body { get; }

    /// <summary>The header's value, or null when the event has none by that name.</summary>
    public string? this[string header] => _headers[header];

    public string EventName => this["Event-Name"] ?? string.Empty;
    public string? UniqueId => this["Unique-ID"];
    public string? OtherLegUniqueId => this["Other-Leg-Unique-ID"];
    public string? ChannelCallState => this["Channel-Call-State"];
    public string? AnswerState => this["Answer-State"];
    public string? CallDirection => this["Call-Direction"];
    public string? HangupCause => this["Hangup-Cause"];
    public string? JobUuid => this["Job-UUID"];
    public string? Application => this["Application"];
    public string? ApplicationUuid => this["Application-UUID"];
    public string? ApplicationResponse => this["Application-Response"];

    /// <summary>Channel variable <paramref name="name"/> (the <c>variable_</c> header).</summary>
    public string? GetVariable(string name) => this["variable_" + name];

    /// <summary>How many headers (enumerating or counting decodes every header: for logs and tests, not a hot path).</summary>
    public int Count => _headers.Count;

    public IEnumerable<string> Keys => _headers.Keys;

    public IEnumerable<string> Values => _headers.Values;

    string IReadOnlyDictionary<string, string>.this[string key] => this[key] ?? throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => _headers.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => _headers.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{EventName} {UniqueId}";
}
