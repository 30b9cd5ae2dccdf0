using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace EslCallflow.Tests;

/// <summary>freeswitch-conf/ as FreeSWITCH 1.10 reads it; the real-switch suite starts a switch on it and checks its log.</summary>
public partial class FreeSwitchConfTests
{
    /// <summary>
    /// Every module FreeSWITCH 1.10.12 has: the module list of its build (build/modules.conf.in at the v1.10.12
    /// tag of signalwire/freeswitch). A module not listed cannot load: FreeSWITCH logs CRIT "Error Loading
    /// module" at every start. G.711 is in the core (switch_pcm.c), so there is no mod_g711.
    /// </summary>
    private static readonly HashSet<string> FreeSwitch110Modules =
    [
        "mod_abstraction", "mod_alsa", "mod_amqp", "mod_amr", "mod_amrwb", "mod_av", "mod_avmd", "mod_b64", "mod_basic", "mod_bert",
        "mod_blacklist", "mod_bv", "mod_callcenter", "mod_cdr_csv", "mod_cdr_mongodb", "mod_cdr_pg_csv", "mod_cdr_sqlite", "mod_cepstral",
        "mod_cidlookup", "mod_clearmode", "mod_cluechoo", "mod_codec2", "mod_com_g729", "mod_commands", "mod_conference", "mod_console",
        "mod_curl", "mod_cv", "mod_dahdi_codec", "mod_db", "mod_dialplan_asterisk", "mod_dialplan_directory", "mod_dialplan_xml",
        "mod_directory", "mod_distributor", "mod_dptools", "mod_easyroute", "mod_enum", "mod_erlang_event", "mod_esf", "mod_esl",
        "mod_event_multicast", "mod_event_socket", "mod_event_zmq", "mod_expr", "mod_fail2ban", "mod_fifo", "mod_flite", "mod_format_cdr",
        "mod_fsk", "mod_fsv", "mod_g723_1", "mod_g729", "mod_graylog2", "mod_gsmopen", "mod_h26x", "mod_h323", "mod_hash", "mod_hiredis",
        "mod_httapi", "mod_http_cache", "mod_ilbc", "mod_imagick", "mod_isac", "mod_java", "mod_json_cdr", "mod_khomp", "mod_ladspa",
        "mod_lcr", "mod_ldap", "mod_local_stream", "mod_logfile", "mod_loopback", "mod_lua", "mod_managed", "mod_mariadb", "mod_memcache",
        "mod_mongo", "mod_mp4", "mod_mp4v", "mod_mp4v2", "mod_native_file", "mod_nibblebill", "mod_odbc_cdr", "mod_opal", "mod_opus",
        "mod_opusfile", "mod_oreka", "mod_osp", "mod_perl", "mod_pgsql", "mod_png", "mod_pocketsphinx", "mod_portaudio",
        "mod_portaudio_stream", "mod_posix_timer", "mod_prefix", "mod_python", "mod_python3", "mod_rad_auth", "mod_radius_cdr", "mod_raven",
        "mod_rayo", "mod_redis", "mod_rss", "mod_rtc", "mod_rtmp", "mod_sangoma_codec", "mod_say_de", "mod_say_en", "mod_say_es",
        "mod_say_es_ar", "mod_say_fa", "mod_say_fr", "mod_say_he", "mod_say_hr", "mod_say_hu", "mod_say_it", "mod_say_ja", "mod_say_nl",
        "mod_say_pl", "mod_say_pt", "mod_say_ru", "mod_say_sv", "mod_say_th", "mod_say_zh", "mod_shell_stream", "mod_shout",
        "mod_signalwire", "mod_silk", "mod_siren", "mod_skinny", "mod_smpp", "mod_sms", "mod_sms_flowroute", "mod_snapshot", "mod_sndfile",
        "mod_snmp", "mod_snom", "mod_sofia", "mod_sonar", "mod_soundtouch", "mod_spandsp", "mod_spy", "mod_ssml", "mod_stress",
        "mod_syslog", "mod_test", "mod_theora", "mod_timerfd", "mod_tone_stream", "mod_translate", "mod_tts_commandline", "mod_v8",
        "mod_valet_parking", "mod_verto", "mod_video_filter", "mod_vlc", "mod_vmd", "mod_voicemail", "mod_voicemail_ivr", "mod_xml_cdr",
        "mod_xml_curl", "mod_xml_ldap", "mod_xml_radius", "mod_xml_rpc", "mod_xml_scgi", "mod_yaml",
    ];

    /// <summary>
    /// Modules that read a configuration file of their own at load, and log ERR "Open of x.conf failed" without
    /// it (mod_logfile then writes no log at all): mod_console.c config_logger, mod_logfile.c mod_logfile_load,
    /// mod_event_socket.c config, sofia.c config_sofia, mod_xml_curl.c do_config (which refuses to load without a binding).
    /// </summary>
    private static readonly Dictionary<string, string> ConfigurationFiles = new()
    {
        ["mod_console"] = "console.conf",
        ["mod_logfile"] = "logfile.conf",
        ["mod_event_socket"] = "event_socket.conf",
        ["mod_sofia"] = "sofia.conf",
        ["mod_xml_curl"] = "xml_curl.conf",
    };

    private static IReadOnlyList<string> LoadedModules() =>
        XDocument.Load(RepositoryFiles.PathOf("freeswitch-conf/autoload_configs/modules.conf.xml"))
            .Descendants("load").Select(e => (string)e.Attribute("module")!).ToList();

    [Fact]
    public void Modules_conf_loads_only_modules_FreeSWITCH_1_10_has()
    {
        var modules = LoadedModules();

        var unknown = modules.Where(m => !FreeSwitch110Modules.Contains(m)).ToList();

        Assert.NotEmpty(modules);
        Assert.True(unknown.Count == 0, $"modules.conf.xml loads {string.Join(", ", unknown)}, which FreeSWITCH 1.10 does not have");
    }

    [Fact]
    public void Every_loaded_module_that_reads_a_configuration_file_finds_one()
    {
        var configurations = Directory.EnumerateFiles(RepositoryFiles.PathOf("freeswitch-conf/autoload_configs"), "*.xml")
            .Select(f => (string?)XDocument.Load(f).Root?.Attribute("name"))
            .ToHashSet();

        var missing = LoadedModules().Where(m => ConfigurationFiles.TryGetValue(m, out var name) && !configurations.Contains(name)).ToList();

        Assert.True(missing.Count == 0, $"{string.Join(", ", missing)} load(s) with no configuration file in autoload_configs/");
    }

    [GeneratedRegex(@"\$\{(eslcallflow_[a-z_]+)\}")]
    private static partial Regex EslCallflowVariable();

    [GeneratedRegex(@"<X-PRE-PROCESS cmd=""set"" data=""(eslcallflow_[a-z_]+)=")]
    private static partial Regex EslCallflowSetting();

    [Fact]
    public void Every_eslcallflow_variable_the_dialplan_and_the_modules_read_is_set_in_vars_xml()
    {
        // Read per call as global variables (switch_channel.c switch_channel_get_variable_dup falls back to
        // switch_core_get_variable, which the preprocessor's "set" fills): a name set nowhere expands to nothing, and
        // an empty socket target fails every call over to eslcallflow_down.
        // The module configurations' $${...} too (xml_curl.conf.xml's gateway-url), expanded when they load.
        var dialplan = Directory.EnumerateFiles(RepositoryFiles.PathOf("freeswitch-conf/dialplan"), "*.xml")
            .Concat(Directory.EnumerateFiles(RepositoryFiles.PathOf("freeswitch-conf/autoload_configs"), "*.xml")).Select(File.ReadAllText).ToList();
        // Less the channel variable the daemon's own XML sets on the call (the fast path's dialled number).
        var read = dialplan.SelectMany(d => EslCallflowVariable().Matches(d).Select(m => m.Groups[1].Value)).Where(v => v != Dialplan.DialplanOptions.NumberVariable).ToHashSet();
        var set = EslCallflowSetting().Matches(File.ReadAllText(RepositoryFiles.PathOf("freeswitch-conf/vars.xml"))).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Contains("eslcallflow_socket", read);
        Assert.Equal(read.Order(), set.Order());
    }
}
