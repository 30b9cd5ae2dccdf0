using EslCallflow.Calls;
using EslCallflow.Calls.Pickup;
using EslCallflow.Calls.Ringing;
using EslCallflow.Dialplan;
using EslCallflow.Esl.Inbound;
using EslCallflow.Esl.Outbound;
using EslCallflow.Configuration;
using EslCallflow.Delivery;
using EslCallflow.GroupState;
using EslCallflow.Metrics;
using EslCallflow.Operations;
using EslCallflow.Records;
using EslCallflow.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Serilog.Core;
using Serilog.Events;

namespace EslCallflow.Hosting;

/// <summary>Builds the daemon's host: configuration, validated options, Serilog, systemd, services.</summary>
public static class DaemonHost
{
    /// <summary>
    /// What a call's own socket receives: its commands' completions and its hang-up. Every event FreeSWITCH sends a
    /// session it serialises for it (about 7 to 12 KB of json each) after reading one more filter command byte by
    /// byte (issue 20, BENCHMARKS.md). Not CHANNEL_HANGUP_COMPLETE: CHANNEL_HANGUP already ends the call with its
    /// cause. Not CHANNEL_ANSWER: the session reads the answer from any event's Answer-State. Not CHANNEL_BRIDGE: the
    /// channel feed carries the caller's bridge as it happens (without <c>async</c> the session's own copy would only
    /// come after the conversation), and an answered bridge's completion says when it was joined.
    /// </summary>
    public static readonly IReadOnlyList<string> SessionEvents = ["CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP"];

    /// <summary>
    /// Frame bounds are settings of their connection (<c>MaxBodyBytes</c>, <c>MaxHeaderBytes</c>). A <c>Limits</c>
    /// section is not one and would be ignored without a word, leaving the operator believing a bound applies that does not.
    /// </summary>
    private static bool NoLimitsSection(ConfigurationManager configuration, string section) =>
        !configuration.GetSection(section + ":Limits").Exists();

    private static string LimitsSectionError(string section) =>
        $"{section}:Limits is not a setting: set {section}:MaxBodyBytes and {section}:MaxHeaderBytes instead";

    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddEnvironmentVariables("ESLCALLFLOW_");

        builder.Services.AddOptions<DaemonOptions>().BindConfiguration(DaemonOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<EslInboundOptions>().BindConfiguration("Esl:Inbound").ValidateDataAnnotations()
            .Validate(_ => NoLimitsSection(builder.Configuration, "Esl:Inbound"), LimitsSectionError("Esl:Inbound")).ValidateOnStart();
        // The call handler is async all the way and never blocks between awaits, which is what resuming it on its
        // session's read loop requires (EslOutboundListenerOptions.ResumeHandlersOnReadLoop lists what it must not do).
        builder.Services.AddOptions<EslOutboundListenerOptions>().Configure(o =>
            {
                o.ResumeHandlersOnReadLoop = true;
                o.SessionEvents = [.. SessionEvents];
            })
            .BindConfiguration("Esl:Outbound").ValidateDataAnnotations()
            .Validate(_ => NoLimitsSection(builder.Configuration, "Esl:Outbound"), LimitsSectionError("Esl:Outbound")).ValidateOnStart();
        builder.Services.AddOptions<PickupOptions>().BindConfiguration(PickupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<TrackingOptions>().BindConfiguration(TrackingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<CallRecordsOptions>().BindConfiguration(CallRecordsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DeliveryOptions>, WebhookEventNames>();
        builder.Services.AddOptions<HttpEndpointOptions>().BindConfiguration(HttpEndpointOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<DialplanOptions>().BindConfiguration(DialplanOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<DaemonOptions>>((o, daemon) =>
        {
            // Derived, never fixed: a longer drain must not be cut short by the host's own deadline.
            o.ShutdownTimeout = daemon.Value.DrainTimeout + DaemonOptions.ShutdownMargin;
            // Faults are contained inside the services; one that escapes stops the host, and DaemonRunner exits 1.
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });

        builder.Services.AddSingleton<CallflowConfigurationStore>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DaemonMetrics>();
        builder.Services.AddSingleton<ChannelTracker>();
        builder.Services.AddSingleton<IPickupClaims, PickupClaims>();
        builder.Services.AddSingleton<IRingingLegs, TrackedRingingLegs>();
        builder.Services.AddSingleton<ISwitchApi>(sp => sp.GetRequiredService<InboundConnectionService>());
        builder.Services.AddSingleton<ConversationWatch>();
        builder.Services.AddSingleton<DeliveryMetrics>();
        builder.Services.AddSingleton<CallEventDispatcher>();
        builder.Services.AddSingleton<CallRecords>();
        builder.Services.AddSingleton<PickupRunner>();
        builder.Services.AddSingleton<BridgeWatcher>();
        builder.Services.AddSingleton<RingReport>();
        builder.Services.AddSingleton<IRingGroupState>(sp => new FileRingGroupState(
            sp.GetRequiredService<IOptions<DaemonOptions>>().Value.ResolvedStatePath, sp.GetRequiredService<ILogger<FileRingGroupState>>()));
        builder.Services.AddSingleton<MemberPresence>();
        builder.Services.AddSingleton<RingMemory>();
        builder.Services.AddSingleton<Ringer>();
        CallflowModules.Register(builder.Services);
        builder.Services.AddSingleton<CallReport>();
        builder.Services.AddSingleton<CallHandler>();
        // Before the call listener: it starts first (spooled events are read back before any call) and stops after
        // the calls have drained (their last events are spooled before the process ends).
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CallEventDispatcher>());
        // Several switches: the shared store, when configured; it too stops after the calls have drained.
        Clustering.ClusterSetup.Add(builder);
        builder.Services.AddSingleton<OutboundCallService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboundCallService>());
        builder.Services.AddSingleton<InboundConnectionService>();
        builder.Services.AddSingleton<IFreeSwitchEventPublisher>(sp => sp.GetRequiredService<InboundConnectionService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<InboundConnectionService>());
        builder.Services.AddSingleton<ConfigurationReloader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigurationReloader>());
        // The dialplan fast path: mod_xml_curl fetches each call's dialplan (Dialplan/). Its endpoint stops before the
        // calls it runs, whose records then end before the event dispatcher stops.
        builder.Services.AddSingleton<DialplanMetrics>();
        builder.Services.AddSingleton<DialplanFlow>();
        builder.Services.AddSingleton<DialplanCalls>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DialplanCalls>());
        builder.Services.AddSingleton<DialplanFetchService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DialplanFetchService>());
        builder.Services.AddSingleton<HttpEndpointService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HttpEndpointService>());

        builder.Services.AddSystemd();
        builder.Services.AddSerilog((services, logger) => ConfigureLogging(builder.Configuration, logger), preserveStaticLogger: true);
        return builder;
    }

    /// <summary>
    /// Readable console lines by default; compact JSON with <c>Logging:Format=json</c>; a rolling file with
    /// <c>Logging:File</c>. Every sink writes through <see cref="ControlCharacterEscapingSink"/>.
    /// </summary>
    internal static void ConfigureLogging(IConfiguration configuration, LoggerConfiguration logger, TextWriter? console = null)
    {
        var level = Enum.TryParse<Serilog.Events.LogEventLevel>(configuration["Logging:MinimumLevel"], true, out var parsed) ? parsed : Serilog.Events.LogEventLevel.Information;
        logger.MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .Enrich.FromLogContext();
        logger.WriteTo.Sink(Serilog.Configuration.LoggerSinkConfiguration.Wrap(sink => new ControlCharacterEscapingSink(sink), sinks =>
        {
            var json = string.Equals(configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase);
            if (console is not null)
            {
                // Tests read what the console would show.
                sinks.Sink(new TextWriterSink(json ? new CompactJsonFormatter() : new MessageTemplateTextFormatter(ConsoleTemplate), console));
            }
            else if (json)
            {
                sinks.Console(new CompactJsonFormatter());
            }
            else
            {
                sinks.Console(outputTemplate: ConsoleTemplate);
            }
            if (configuration["Logging:File"] is { Length: > 0 } file)
            {
                sinks.File(new CompactJsonFormatter(), file, rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14);
            }
        }));
    }

    // The message carries the call's UUID and what matters; EventId, SourceContext and the scopes stay in the json
    // formats (Logging:Format=json, Logging:File), where nothing is dropped.
    private const string ConsoleTemplate = "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}";

    private sealed class TextWriterSink(ITextFormatter formatter, TextWriter writer) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (writer)
            {
                formatter.Format(logEvent, writer);
            }
        }
    }
}
