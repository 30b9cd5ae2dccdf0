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

    /// <summary>
    /// The caller hangs up as the ring group's bridge crosses it on the wire (seen in the soak on a real switch,
    /// right after a FreeSWITCH restart): the switch acknowledges the batch, skips the bridge on the hung-up channel
    /// without a completion, and keeps the lingering socket, so the channel stays until the daemon lets go of it.
    /// </summary>
    [Fact]
    public async Task A_bridge_that_reaches_the_switch_after_the_caller_hung_up_ends_the_call_and_frees_the_channel()
    {
        await using var daemon = await RunningDaemon.StartAsync(null, "--Esl:Outbound:CompletionGraceAfterHangup=00:00:00.300");
        await using var peer = await RawPeer.ConnectAsync(daemon.CallEndpoint);
        await peer.AnswerHandshakeAsync("late-bridge");
        string? command;
        while ((command = await peer.ReadCommandAsync()) is not null)
        {
            await peer.SendAsync(EslWire.CommandReply("+OK"));
            if (command.Contains("execute-app-name: bridge", StringComparison.Ordinal))
            {
                break;
            }
        }
        Assert.NotNull(command);
        var hangup = new Dictionary<string, string> { ["Hangup-Cause"] = "ORIGINATOR_CANCEL", ["Answer-State"] = "hangup" };
        await peer.SendAsync(EslWire.JsonEvent(EventTemplates.CallerEvent("CHANNEL_HANGUP", "late-bridge", hangup)));
        await peer.SendAsync(EslWire.JsonEvent(EventTemplates.CallerEvent("CHANNEL_HANGUP_COMPLETE", "late-bridge", hangup)));
        await peer.SendAsync(EslWire.DisconnectNotice("late-bridge", "linger", lingerNotice: true));

        var after = new List<string>();
        while (await peer.ReadCommandAsync(Timeout) is { } more)
        {
            after.Add(more);
            await peer.SendAsync(EslWire.CommandReply("+OK"));
        }
        // Closed by the daemon (a socket kept open would have thrown above, at the timeout), sending no new application.
        Assert.DoesNotContain(after, c => c.Contains("call-command: execute", StringComparison.Ordinal));
        using (var cts = new CancellationTokenSource(Timeout))
        {
            while (daemon.ActiveCalls > 0)
            {
                await Task.Delay(20, cts.Token);
            }
        }
        Assert.Single(daemon.LogEvents("caller hung up"));
        Assert.Empty(daemon.LogEvents("flow failed"));
        Assert.Equal(1, daemon.Host.Services.GetRequiredService<DaemonMetrics>().Calls("caller_gone"));
    }
}
