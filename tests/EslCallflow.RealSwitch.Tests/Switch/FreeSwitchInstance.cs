using System.Globalization;
using System.Text.RegularExpressions;

namespace EslCallflow.RealSwitch.Tests.Switch;

/// <summary>
/// A real FreeSWITCH on a temporary copy of the repository's <c>freeswitch-conf/</c>, with its own log, db,
/// run and temp folders. Only the ports move (SIP, event socket, the daemon's address, <c>eslcallflow_socket</c> in
/// freeswitch.xml, and mod_xml_curl's <c>gateway-url</c>), so it never collides with a switch already running;
/// mod_xml_curl is loaded or not as the suite's <see cref="SuiteTransport"/> says; the rest is the shipped file.
/// </summary>
public sealed partial class FreeSwitchInstance : IAsyncDisposable
{
    private readonly string _binary;
    private readonly string _folder;
    private readonly IReadOnlyDictionary<string, string> _vars;
    private ManagedProcess? _process;
    private SwitchConsole? _console;
    private long _startMark;

    /// <param name="name">Its folder in the run (several nodes share one run).</param>
    /// <param name="vars">vars.xml values of this node (freeswitch-conf's one place for them), beyond the ports.</param>
    public FreeSwitchInstance(string binary, string runFolder, int daemonCallPort, string name = "freeswitch", IReadOnlyDictionary<string, string>? vars = null)
    {
        _vars = vars ?? new Dictionary<string, string>();
        _binary = Path.GetFullPath(binary);
        _folder = Path.Combine(runFolder, name);
        SipPort = FreePorts.Next(udpToo: true);
        EslPort = FreePorts.Next();
        DaemonCallPort = daemonCallPort;
        DaemonDialplanPort = FreePorts.Next();
        Configuration = Path.Combine(_folder, "conf");
        EslPassword = PrepareConfiguration();
        Log = new LogFile(Path.Combine(_folder, "log", "freeswitch.log"));
    }

    public int SipPort { get; }
    public int EslPort { get; }
    public int DaemonCallPort { get; }

    /// <summary>Where mod_xml_curl posts its dialplan fetches (the daemon's Dialplan:Url), in dialplan mode.</summary>
    public int DaemonDialplanPort { get; }
    public string EslPassword { get; }
    public string Configuration { get; }

    /// <summary>FreeSWITCH's own log (mod_logfile), every level.</summary>
    public LogFile Log { get; }

    /// <summary>What FreeSWITCH wrote to stdout/stderr (start-up failures land here).</summary>
    public string OutputFile => Path.Combine(_folder, "freeswitch.out");

    /// <summary>The log from process start until the switch was ready (event socket up, SIP profile running).</summary>
    public string StartupLog { get; private set; } = string.Empty;

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    [GeneratedRegex(@"(data=""sip_port=)\d+("")")]
    private static partial Regex SipPortVar();

    [GeneratedRegex(@"(data=""event_socket_port=)\d+("")")]
    private static partial Regex EslPortVar();

    [GeneratedRegex(@"(data=""eslcallflow_socket=127\.0\.0\.1:)\d+("")")]
    private static partial Regex SocketVar();

    [GeneratedRegex(@"<param\s+name=""password""\s+value=""([^""]*)""")]
    private static partial Regex EslPasswordParam();

    [GeneratedRegex(@"(data=""eslcallflow_dialplan_url=http://127\.0\.0\.1:)\d+")]
    private static partial Regex GatewayUrl();

    [GeneratedRegex(@"\s*<load module=""mod_xml_curl""/>")]
    private static partial Regex XmlCurlLoad();

    [GeneratedRegex(@"(^|\s)0 total\.")]
    private static partial Regex NoChannels();

    private string PrepareConfiguration()
    {
        SuitePaths.CopyFolder(Path.Combine(SuitePaths.Repository, "freeswitch-conf"), Configuration);
        // The ports a node may change are in vars.xml (freeswitch-conf's one place for per-node values).
        var vars = Path.Combine(Configuration, "vars.xml");
        Rewrite(vars, SipPortVar(), SipPort);
        Rewrite(vars, EslPortVar(), EslPort);
        Rewrite(vars, SocketVar(), DaemonCallPort);
        foreach (var (name, value) in _vars)
        {
            var text = File.ReadAllText(vars);
            var setting = new Regex($@"data=""{Regex.Escape(name)}=[^""]*""");
            if (!setting.IsMatch(text))
            {
                throw new InvalidOperationException($"vars.xml sets no {name}; freeswitch-conf changed shape, update the suite");
            }
            File.WriteAllText(vars, setting.Replace(text, $@"data=""{name}={value}"""));
        }
        Rewrite(vars, GatewayUrl(), DaemonDialplanPort);
        SetXmlCurlLoaded(Path.Combine(Configuration, "autoload_configs", "modules.conf.xml"), SuiteTransport.IsDialplan);
        foreach (var folder in new[] { "log", "db", "run", "temp", "cache", "storage", "recordings" })
        {
            Directory.CreateDirectory(Path.Combine(_folder, folder));
        }
        var eventSocket = File.ReadAllText(Path.Combine(Configuration, "autoload_configs", "event_socket.conf.xml"));
        return EslPasswordParam().Match(eventSocket) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no event socket password in freeswitch-conf");
    }

    private static void Rewrite(string file, Regex pattern, int port)
    {
        var text = File.ReadAllText(file);
        if (!pattern.IsMatch(text))
        {
            throw new InvalidOperationException($"{file}: no match for {pattern}; freeswitch-conf changed shape, update the suite");
        }
        File.WriteAllText(file, pattern.Replace(text, m => m.Groups[1].Value + port.ToString(CultureInfo.InvariantCulture) + (m.Groups.Count > 2 ? m.Groups[2].Value : string.Empty)));
    }

    /// <summary>mod_xml_curl in the modules list, or not, whatever the shipped file does.</summary>
    private static void SetXmlCurlLoaded(string modulesFile, bool loaded)
    {
        var text = XmlCurlLoad().Replace(File.ReadAllText(modulesFile), string.Empty);
        if (loaded)
        {
            const string anchor = "<load module=\"mod_dialplan_xml\"/>";
            if (!text.Contains(anchor, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{modulesFile}: no {anchor}; freeswitch-conf changed shape, update the suite");
            }
            text = text.Replace(anchor, anchor + "\n    <load module=\"mod_xml_curl\"/>", StringComparison.Ordinal);
        }
        File.WriteAllText(modulesFile, text);
    }

    /// <summary>Starts the switch and waits until its event socket answers and the SIP profile runs.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _startMark = Log.Mark();
        List<string> args =
        [
            "-nc", "-nf", "-nonat",
            "-conf", Configuration,
            "-log", Path.Combine(_folder, "log"),
            "-db", Path.Combine(_folder, "db"),
            "-run", Path.Combine(_folder, "run"),
            "-temp", Path.Combine(_folder, "temp"),
            "-cache", Path.Combine(_folder, "cache"),
            "-storage", Path.Combine(_folder, "storage"),
            "-recordings", Path.Combine(_folder, "recordings"),
        ];
        // An installed tree keeps modules in <prefix>/lib/freeswitch/mod beside <prefix>/bin.
        var modules = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(_binary)!, "..", "lib", "freeswitch", "mod"));
        if (Directory.Exists(modules))
        {
            args.AddRange(["-mod", modules]);
        }
        _process = ManagedProcess.Start("freeswitch", _binary, args, _folder, OutputFile);

        var deadline = DateTime.UtcNow + timeout;
        string? lastProblem = null;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"FreeSWITCH exited during start-up.\n{Failure()}");
            }
            try
            {
                // "internal  profile  sip:mod_sofia@127.0.0.1:port  RUNNING (0)" once the profile listens.
                var status = await ApiAsync("sofia status", cancellationToken);
                if (status.Split('\n').Any(l => l.Contains("internal", StringComparison.Ordinal) && l.Contains("RUNNING", StringComparison.Ordinal)))
                {
                    StartupLog = Log.ReadFrom(_startMark);
                    return;
                }
                lastProblem = status.Trim();
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                lastProblem = ex.Message;
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"FreeSWITCH not ready after {timeout.TotalSeconds} s ({lastProblem}).\n{Failure()}");
    }

    private string Failure() =>
        $"--- {OutputFile}\n{new LogFile(OutputFile).Tail(0, 40)}\n--- {Log.Path}\n{Log.Tail(_startMark, 60)}";

    /// <summary>Runs an api command on the suite's own event socket connection (re-opened if the switch restarted).</summary>
    public async Task<string> ApiAsync(string command, CancellationToken cancellationToken)
    {
        _console ??= await SwitchConsole.ConnectAsync(EslPort, EslPassword, cancellationToken);
        try
        {
            return await _console.ApiAsync(command, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            await _console.DisposeAsync();
            _console = null;
            throw;
        }
    }

    /// <summary>
    /// Adds SIP users (password 1234, like freeswitch-conf's 1001 to 1006) to this switch's copy of the directory and
    /// reloads it, for a test that needs more phones than the shipped six; users already there are left as they are.
    /// They stay for the rest of the run (restarts included): more users change nothing for the other tests.
    /// </summary>
    public async Task AddUsersAsync(IEnumerable<string> users, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Configuration, "directory", "default.xml");
        var text = await File.ReadAllTextAsync(file, cancellationToken);
        var added = users.Where(u => !text.Contains($"<user id=\"{u}\">", StringComparison.Ordinal))
            .Select(u => $"      <user id=\"{u}\"><params><param name=\"password\" value=\"$${{default_password}}\"/></params><variables><variable name=\"user_context\" value=\"default\"/><variable name=\"effective_caller_id_number\" value=\"{u}\"/></variables></user>\n");
        var at = text.IndexOf("    </users>", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"{file}: no </users>; freeswitch-conf changed shape, update the suite");
        }
        await File.WriteAllTextAsync(file, text.Insert(at, string.Concat(added)), cancellationToken);
        var reply = await ApiAsync("reloadxml", cancellationToken);
        if (!reply.Contains("+OK", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("reloadxml after adding users: " + reply.Trim());
        }
    }

    /// <summary>Hangs up every channel and waits until the switch has none (the end of a test).</summary>
    public async Task HangUpAllAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await ApiAsync("hupall NORMAL_CLEARING", cancellationToken);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var count = await ApiAsync("show channels count", cancellationToken);
            if (NoChannels().IsMatch(count))
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("channels still up after hupall: " + count.Trim());
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>SIGKILL: the switch dies as in a crash; its calls end without a BYE or CANCEL. <see cref="StartAsync"/> starts it again.</summary>
    public async Task KillAsync()
    {
        if (_console is not null)
        {
            await _console.DisposeAsync();
            _console = null;
        }
        _process?.Kill();
        _process?.Dispose();
        _process = null;
    }

    /// <summary>A graceful stop (SIGTERM: FreeSWITCH hangs up its calls and unloads), then the group is killed.</summary>
    public async Task StopAsync()
    {
        if (_console is not null)
        {
            await _console.DisposeAsync();
            _console = null;
        }
        if (_process is not null)
        {
            await _process.StopAsync(TimeSpan.FromSeconds(15));
            _process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
