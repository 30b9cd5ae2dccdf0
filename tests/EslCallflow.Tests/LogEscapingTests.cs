using System.Text.Json;
using EslCallflow.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;

namespace EslCallflow.Tests;

/// <summary>
/// Values from the wire reach log lines escaped: a newline in a Unique-ID or a destination number cannot forge a
/// line, an ESC or NUL cannot reach the operator's terminal. One sink does it for every log line of the daemon.
/// </summary>
public class LogEscapingTests
{
    private const string ForgedUuid = "4f1c\n12:00:00.000 ERR forged line";
    private const string HostileNumber = "7000\u001b[2J\0\r\u0085\u2028";

    private static (Microsoft.Extensions.Logging.ILogger Logger, StringWriter Output, IDisposable Owner) DaemonLogger(string format)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:Format"] = format }).Build();
        var output = new StringWriter();
        var serilog = new LoggerConfiguration();
        DaemonHost.ConfigureLogging(configuration, serilog, output);
        var factory = new SerilogLoggerFactory(serilog.CreateLogger(), dispose: true);
        return (factory.CreateLogger("test"), output, factory);
    }

    [Fact]
    public void A_console_line_with_hostile_values_stays_one_line_with_visible_escapes()
    {
        var (logger, output, owner) = DaemonLogger("text");
        using (owner)
        {
            using (logger.BeginScope(new KeyValuePair<string, object>[] { new("CallUuid", ForgedUuid), new("Number", HostileNumber) }))
            {
                logger.LogWarning("Call {CallUuid}: no callflow for {Number}; hanging up with UNALLOCATED_NUMBER", ForgedUuid, HostileNumber);
            }
        }

        var text = output.ToString();
        Assert.Equal(1, text.Count(c => c == '\n'));
        Assert.Contains(@"Call 4f1c\n12:00:00.000 ERR forged line: no callflow for 7000\x1B[2J\0\r\x85\u2028; hanging up", text, StringComparison.Ordinal);
        Assert.DoesNotContain(text, c => c is '\u001b' or '\0' or '\r' or '\u0085' or '\u2028');
    }

    [Fact]
    public void A_console_line_is_the_message_without_event_id_source_or_scope_dumps_which_the_json_keeps()
    {
        var (logger, output, owner) = DaemonLogger("text");
        var (jsonLogger, json, jsonOwner) = DaemonLogger("json");
        using (owner)
        using (jsonOwner)
        {
            foreach (var target in new[] { logger, jsonLogger })
            {
                using (target.BeginScope(new KeyValuePair<string, object>[] { new("CallUuid", "4f1c"), new("Number", "7000") }))
                {
                    target.LogInformation(new EventId(2009, "answered"), "Call {CallUuid}: outcome answered by {AnsweredDevice}", "4f1c", "dev1003");
                }
            }
        }

        var line = output.ToString().TrimEnd('\n');
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} INF Call 4f1c: outcome answered by dev1003$", line);
        var kept = JsonDocument.Parse(json.ToString()).RootElement;
        Assert.Equal(2009, kept.GetProperty("EventId").GetProperty("Id").GetInt32());
        Assert.Equal("7000", kept.GetProperty("Number").GetString());
        Assert.Equal("test", kept.GetProperty("SourceContext").GetString());
    }

    [Fact]
    public void Exceptions_and_templates_built_from_wire_text_are_escaped_too()
    {
        var (logger, output, owner) = DaemonLogger("text");
        using (owner)
        {
            logger.LogError(new InvalidOperationException("reply was -ERR\n12:00:00.000 INF forged\u001b[0m"), "Call {CallUuid}: flow failed", "u-1");
#pragma warning disable CA2254 // A template made from wire text is exactly what this guards against.
            logger.LogWarning("unexpected " + ForgedUuid);
#pragma warning restore CA2254
        }

        var lines = output.ToString().Split('\n');
        Assert.DoesNotContain(lines, l => l.StartsWith("12:00:00.000", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(@"reply was -ERR\n12:00:00.000 INF forged\x1B[0m", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(@"unexpected 4f1c\n12:00:00.000 ERR forged line", StringComparison.Ordinal));
        Assert.DoesNotContain(output.ToString(), c => c == '\u001b');
    }

    [Fact]
    public void Json_lines_carry_the_escaped_values()
    {
        var (logger, output, owner) = DaemonLogger("json");
        using (owner)
        {
            logger.LogWarning("Call {CallUuid}: no callflow for {Number}", ForgedUuid, HostileNumber);
        }

        var line = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal(@"4f1c\n12:00:00.000 ERR forged line", line.GetProperty("CallUuid").GetString());
        Assert.Equal(@"7000\x1B[2J\0\r\x85\u2028", line.GetProperty("Number").GetString());
    }

    [Fact]
    public async Task A_call_whose_number_holds_control_characters_is_logged_escaped()
    {
        await using var daemon = await RunningDaemon.StartAsync();

        await using (var call = await daemon.CallAsync("99\n12:00:00.000 ERR forged\u001b[31m", "1005"))
        {
            await call.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var unallocated = Assert.Single(daemon.LogEvents("no callflow for {Number}"));
        Assert.Equal(@"99\n12:00:00.000 ERR forged\x1B[31m", unallocated.GetProperty("Number").GetString());
    }
}
