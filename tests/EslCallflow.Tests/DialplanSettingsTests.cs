using System.Xml.Linq;
using EslCallflow.Dialplan;
using EslCallflow.Hosting;

namespace EslCallflow.Tests;

/// <summary>The dialplan endpoint's settings, checked at start; and freeswitch-conf's binding and fallback, which must agree with them.</summary>
public class DialplanSettingsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("--Dialplan:Url=https://127.0.0.1:8089", "Dialplan:Url 'https://127.0.0.1:8089' must be an http URL with no path")]
    [InlineData("--Dialplan:Username=freeswitch", "Dialplan:Username and Dialplan:Password go together")]
    [InlineData("--Dialplan:Password=long-enough-password", "Dialplan:Username and Dialplan:Password go together")]
    [InlineData("--Dialplan:AllowedPeers:0=everyone", "Dialplan:AllowedPeers entry 'everyone' is neither an IP address nor a CIDR range")]
    [InlineData("--Dialplan:Contexts:0=eslcallflow-next", "Dialplan:Contexts entry 'eslcallflow-next' must be")]
    [InlineData("--Dialplan:Path=dialplan", "Path")]
    public async Task A_bad_dialplan_setting_stops_the_start_with_exit_2_and_the_reason(string setting, string reason)
    {
        var error = new StringWriter();
        var exitCode = await DaemonRunner.RunAsync(
            [$"--EslCallflow:ConfigurationPath={RunningDaemon.BundledConfig}", "--Esl:Inbound:Port=1", "--Esl:Outbound:Port=0", "--Http:Enabled=false",
             "--Dialplan:Enabled=true", "--Dialplan:Url=http://127.0.0.1:0", setting],
            error).WaitAsync(Timeout);

        Assert.Equal(DaemonRunner.InvalidSettings, exitCode);
        Assert.Contains(reason, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_binding_posts_dialplan_fetches_where_the_daemon_listens_by_default()
    {
        var binding = XDocument.Load(RepositoryFiles.PathOf("freeswitch-conf/autoload_configs/xml_curl.conf.xml")).Descendants("binding").Single();
        var url = binding.Elements("param").Single(p => (string?)p.Attribute("name") == "gateway-url");
        var defaults = new DialplanOptions();

        // The URL is vars.xml's, so that each node of a cluster names its own daemon.
        Assert.Equal("$${eslcallflow_dialplan_url}", (string?)url.Attribute("value"));
        var vars = File.ReadAllText(RepositoryFiles.PathOf("freeswitch-conf/vars.xml"));
        Assert.Contains($"data=\"eslcallflow_dialplan_url={new Uri(new Uri(defaults.Url), defaults.Path)}\"", vars, StringComparison.Ordinal);
        Assert.Equal("dialplan", (string?)url.Attribute("bindings"));
        // A hung daemon costs a call at most this long before the static dialplan runs.
        Assert.Equal("1", (string?)binding.Elements("param").Single(p => (string?)p.Attribute("name") == "timeout").Attribute("value"));
    }

    [Fact]
    public void The_shipped_binding_posts_exactly_the_fields_the_daemon_reads()
    {
        Assert.NotNull(Testing.XmlCurlFetch.ShippedPostVars);
        // "section" comes first in every fetch, before the event's headers.
        Assert.Equal(DialplanFetch.Fields.Where(f => f != "section").Order(StringComparer.Ordinal), Testing.XmlCurlFetch.ShippedPostVars!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_model_of_the_form_with_the_shipped_binding_writes_what_FreeSWITCH_wrote_with_it()
    {
        var captured = Testing.XmlCurlFetch.ParseForm(Testing.XmlCurlFetch.CapturedRequest(1).Body);
        var fields = captured.Where(f => !f.Key.StartsWith("variable_", StringComparison.Ordinal)).ToDictionary(f => f.Key, f => f.Value);
        var variables = captured.Where(f => f.Key.StartsWith("variable_", StringComparison.Ordinal)).ToDictionary(f => f.Key["variable_".Length..], f => f.Value);
        var withBinding = Testing.XmlCurlFetch.CapturedRequest(4).Body;

        var modelled = Testing.XmlCurlFetch.Form(fields, variables, posted: Testing.XmlCurlFetch.ShippedPostVars);

        // The same call's fields, in the same order; the two captures are two calls, so their ids and times differ.
        Assert.Equal(Testing.XmlCurlFetch.ParseForm(withBinding).Select(f => f.Key), Testing.XmlCurlFetch.ParseForm(modelled).Select(f => f.Key));
    }

    [Fact]
    public void The_static_dialplan_has_the_daemons_own_context_for_when_its_fetch_fails()
    {
        var contexts = Directory.EnumerateFiles(RepositoryFiles.PathOf("freeswitch-conf/dialplan"), "*.xml")
            .SelectMany(f => XDocument.Load(f).Descendants("context"))
            .Select(c => (string?)c.Attribute("name"));

        Assert.Contains(DialplanOptions.NextContext, contexts);
    }
}
