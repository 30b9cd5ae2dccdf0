using EslCallflow.Metrics;
using EslCallflow.Tracking;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using EslCallflow.Esl;
using EslCallflow.Esl.Inbound;
using EslCallflow.Hosting;
using EslCallflow.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EslCallflow.Tests;

/// <summary>
/// Against a real FreeSWITCH in a container (image from ESLCALLFLOW_FREESWITCH_IMAGE, Docker required), running
/// freeswitch-conf/: the daemon connects over the inbound socket, and a call originated into 7000 reaches the
/// daemon's outbound listener and is bridged (to the echo extension, through a device dial string, since no
/// SIP phone is registered). Host networking, because freeswitch-conf/ talks to the daemon over loopback.
/// </summary>
public class FreeSwitchContainerTests
{
    private const string ImageVariable = "ESLCALLFLOW_FREESWITCH_IMAGE";

    private static string EchoConfig()
    {
        var folder = Directory.CreateTempSubdirectory("eslcallflow-fs").FullName;
        foreach (var kind in new[] { "devices", "users", "groups", "callflows" })
        {
            Directory.CreateDirectory(Path.Combine(folder, kind));
        }
        File.WriteAllText(Path.Combine(folder, "devices", "echo.json"), """
            [ { "id": "echo", "sip": { "username": "9196", "realm": "127.0.0.1" }, "dial_string": "loopback/9196/default" } ]
            """);
        File.WriteAllText(Path.Combine(folder, "callflows", "7000.json"), """
            { "id": "echo-group", "numbers": ["7000"], "flow": { "module": "ring_group", "data": { "timeout": 10, "endpoints": [ { "id": "echo", "endpoint_type": "device" } ] } } }
            """);
        return folder;
    }

    [OptInFact(ImageVariable, "Docker and a FreeSWITCH 1.10 image")]
    public async Task A_call_originated_into_7000_reaches_the_daemon_and_is_bridged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var container = new ContainerBuilder(Environment.GetEnvironmentVariable(ImageVariable)!)
            .WithBindMount(RepositoryFiles.PathOf("freeswitch-conf"), "/etc/freeswitch", AccessMode.ReadOnly)
            .WithCreateParameterModifier(parameters => parameters.HostConfig!.NetworkMode = "host")
            .Build();
        await container.StartAsync(timeout.Token);

        var esl = new EslInboundOptions { Host = "127.0.0.1", Port = 8021, Password = "ClueCon" };
        await using var observer = await ConnectWhenReadyAsync(esl, timeout.Token);
        await observer.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["CHANNEL_BRIDGE"]), timeout.Token);

        using var host = DaemonHost.CreateBuilder([
            $"--EslCallflow:ConfigurationPath={EchoConfig()}",
            "--Esl:Inbound:Password=ClueCon",
            "--Http:Url=http://127.0.0.1:0",
        ]).Build();
        await host.StartAsync(timeout.Token);
        var inbound = host.Services.GetRequiredService<InboundConnectionService>();
        while (!inbound.IsConnected)
        {
            await Task.Delay(100, timeout.Token);
        }

        await observer.BgApiAsync("originate {origination_caller_id_number=1005}loopback/7000/default &park", timeout.Token);
        await foreach (var bridge in observer.ReadEventsAsync(cancellationToken: timeout.Token))
        {
            Assert.Equal("CHANNEL_BRIDGE", bridge.EventName);
            break;
        }

        var metrics = host.Services.GetRequiredService<DaemonMetrics>();
        Assert.Equal(1, metrics.DecisionCount);
        await observer.ApiAsync("hupall NORMAL_CLEARING", timeout.Token);
        while (metrics.ModuleOutcomes("ring_group", "answered") == 0)
        {
            await Task.Delay(100, timeout.Token);
        }
        await host.StopAsync(timeout.Token);
    }

    private static async Task<EslInboundClient> ConnectWhenReadyAsync(EslInboundOptions options, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await EslInboundClient.ConnectAsync(options, cancellationToken: cancellationToken);
            }
            catch (EslConnectException)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }
}
