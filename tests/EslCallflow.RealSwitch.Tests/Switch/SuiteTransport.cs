namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>How the suite's switch hands calls to the daemon (README, "Two ways in").</summary>
public enum Transport
{
    /// <summary>The static dialplan runs <c>socket</c> (outbound ESL) for the callflow numbers.</summary>
    Socket,

    /// <summary>mod_xml_curl fetches each call's dialplan from the daemon; the static dialplan is the fallback.</summary>
    Dialplan,
}

/// <summary>
/// The transport the suite runs in, from <c>ESLCALLFLOW_TRANSPORT</c> (<c>dialplan</c>, the default, as
/// freeswitch-conf ships it, or <c>socket</c>): the switch's configuration (mod_xml_curl loaded and bound to the
/// daemon, or not) and the daemon's settings follow it; every test runs the same way in both.
/// </summary>
public static class SuiteTransport
{
    public const string Variable = "ESLCALLFLOW_TRANSPORT";

    public static Transport Current { get; } = Environment.GetEnvironmentVariable(Variable)?.Trim().ToLowerInvariant() switch
    {
        null or "" or "dialplan" => Transport.Dialplan,
        "socket" => Transport.Socket,
        var other => throw new InvalidOperationException($"{Variable}={other}: use socket or dialplan"),
    };

    public static bool IsDialplan => Current == Transport.Dialplan;
}
