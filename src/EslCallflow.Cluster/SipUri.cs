namespace EslCallflow.Cluster;

/// <summary>
/// The SIP URIs the options name (a node, the proxy): <c>sip:host[:port]</c> with an optional <c>;transport=</c>,
/// nothing else. They reach FreeSWITCH in dial strings and a redirect's header, so nothing may ride along.
/// </summary>
public static class SipUri
{
    /// <summary>Why <paramref name="uri"/> is not accepted, or null when it is.</summary>
    public static string? Check(string? uri)
    {
        if (string.IsNullOrEmpty(uri))
        {
            return "is required";
        }
        if (!uri.StartsWith("sip:", StringComparison.Ordinal))
        {
            return $"'{Printable(uri)}' must start with sip:";
        }
        var rest = uri.AsSpan(4);
        var semicolon = rest.IndexOf(';');
        var hostPort = semicolon < 0 ? rest : rest[..semicolon];
        if (semicolon >= 0 && rest[semicolon..] is var parameters
            && !parameters.SequenceEqual(";transport=udp") && !parameters.SequenceEqual(";transport=tcp"))
        {
            return $"'{Printable(uri)}' may carry only ;transport=udp or ;transport=tcp";
        }
        if (hostPort.IsEmpty || hostPort.Contains('@'))
        {
            return $"'{Printable(uri)}' must name a host (sip:host:port), not a user";
        }
        foreach (var c in hostPort)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or ':' or '[' or ']'))
            {
                return $"'{Printable(uri)}' holds a character not allowed in a host and port";
            }
        }
        return null;
    }

    /// <summary>The host and port of a checked URI (<c>sip:10.0.0.11:5060;transport=udp</c> gives <c>10.0.0.11:5060</c>).</summary>
    public static string HostPort(string uri)
    {
        var rest = uri.AsSpan(4);
        var semicolon = rest.IndexOf(';');
        return (semicolon < 0 ? rest : rest[..semicolon]).ToString();
    }

    private static string Printable(string text) =>
        string.Concat(text.Take(64).Select(c => char.IsControl(c) ? '?' : c));
}
