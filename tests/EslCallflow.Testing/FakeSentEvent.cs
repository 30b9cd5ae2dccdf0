namespace EslCallflow.Testing;

/// <summary>
/// An event a client fired with <c>sendevent NAME</c>, parsed as mod_event_socket.c does (read_packet: one
/// <c>Name: value</c> header a line, split at the first ':', leading spaces skipped, no decoding; the body is the
/// Content-Length bytes after the blank line; parse_command: the event type from the command line, CUSTOM's subclass
/// from Event-Subclass, an Event-UUID added).
/// </summary>
public sealed record FakeSentEvent(string EventName, IReadOnlyDictionary<string, string> Headers, string? Body)
{
    public static FakeSentEvent Parse(string command)
    {
        var split = command.IndexOf("\n\n", StringComparison.Ordinal);
        var head = split >= 0 ? command[..split] : command;
        var body = split >= 0 ? command[(split + 2)..] : null;
        var lines = head.Split('\n');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon]] = line[(colon + 1)..].TrimStart(' ');
            }
        }
        headers["Event-UUID"] = Guid.NewGuid().ToString();
        return new FakeSentEvent(lines[0]["sendevent".Length..].Trim(), headers, body);
    }

    /// <summary>As the switch fires it to event-socket subscribers.</summary>
    public IReadOnlyDictionary<string, string> AsPublished()
    {
        var evt = new Dictionary<string, string>(Headers, StringComparer.Ordinal) { ["Event-Name"] = EventName };
        if (Body is not null)
        {
            evt["_body"] = Body;
        }
        return evt;
    }
}
