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

/// <summary>
/// For a test of the outbound socket itself (its targets, what it does with a target that refuses): in dialplan mode
/// mod_xml_curl is unloaded until disposed, so calls take the static dialplan's socket as they do when the fetch fails;
/// in socket mode nothing changes.
/// </summary>
public sealed class SocketPathOnly : IAsyncDisposable
{
    private readonly FreeSwitchInstance? _switch;

    private SocketPathOnly(FreeSwitchInstance? unloaded) => _switch = unloaded;

    public static async Task<SocketPathOnly> StartAsync(FreeSwitchInstance freeSwitch, CancellationToken cancellationToken)
    {
        if (!SuiteTransport.IsDialplan)
        {
            return new SocketPathOnly(null);
        }
        await freeSwitch.ApiAsync("unload mod_xml_curl", cancellationToken);
        return new SocketPathOnly(freeSwitch);
    }

    public async ValueTask DisposeAsync()
    {
        if (_switch is not null)
        {
            await _switch.ApiAsync("load mod_xml_curl", CancellationToken.None);
        }
    }
}
