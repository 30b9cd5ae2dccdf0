using EslCallflow.Metrics;
using EslCallflow.Operations;
using EslCallflow.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EslCallflow.Tests;

/// <summary>
/// A caller hanging up is never an error. FreeSWITCH may close the call's socket with no CHANNEL_HANGUP first,
/// while the daemon still waits on the switch: the call must end as "caller hung up", not "flow failed".
/// </summary>
public class CallerHangupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const int Calls = 10;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_socket_closed_while_the_ring_group_waits_is_a_caller_hangup_not_a_failure(bool replyPending)
    {
        await using var daemon = await RunningDaemon.StartAsync();

        for (var i = 0; i < Calls; i++)
        {
            await using var peer = await RawPeer.ConnectAsync(daemon.CallEndpoint);
            await peer.AnswerHandshakeAsync($"gone-{i}");
            // The ring group's batch: set..., ring_ready, bridge; FreeSWITCH has not answered it, or has.
            string? command;
            while ((command = await peer.ReadCommandAsync()) is not null)
            {
                if (!replyPending)
                {
                    await peer.SendAsync(EslWire.CommandReply("+OK"));
                }
                if (command.Contains("execute-app-name: bridge", StringComparison.Ordinal))
                {
                    break;
                }
            }
            Assert.NotNull(command);
            await Task.Delay(20);
            peer.Drop();
        }

        using (var cts = new CancellationTokenSource(Timeout))
        {
            while (daemon.ActiveCalls > 0 || daemon.LogEvents("caller hung up").Count + daemon.LogEvents("flow failed").Count < Calls)
            {
                await Task.Delay(20, cts.Token);
            }
        }
        Assert.Empty(daemon.LogEvents("flow failed"));
        Assert.Equal(Calls, daemon.LogEvents("caller hung up").Count);
        Assert.Equal(0, daemon.Host.Services.GetRequiredService<DaemonMetrics>().Calls("error"));
        Assert.DoesNotContain(daemon.LogEvents(string.Empty), e => e.TryGetProperty("@l", out var level) && level.GetString() is "Error" or "Fatal");
    }
}
