using EslCallflow.Esl.Inbound;
using EslCallflow.Testing;

namespace EslCallflow.Esl.Tests;

public class InboundClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Connects_authenticates_and_runs_api_commands()
    {
        await using var fs = new FakeFreeSwitch("s3cret").Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "s3cret" });

        var status = await client.ApiAsync("status").WaitAsync(Timeout);

        Assert.Contains("is ready", status);
        Assert.Equal(["auth s3cret", "api status"], fs.Commands);
    }

    [Fact]
    public async Task Wrong_password_is_a_connect_exception_that_does_not_show_the_password()
    {
        await using var fs = new FakeFreeSwitch("right").Start();

        var error = await Assert.ThrowsAsync<EslConnectException>(() =>
            EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "wrong-pw" }));

        Assert.Contains("rejected the password (-ERR invalid)", error.Message);
        Assert.DoesNotContain("wrong-pw", error.Message);
    }

    [Fact]
    public async Task Nothing_listening_is_a_connect_exception()
    {
        var fs = new FakeFreeSwitch().Start();
        var port = fs.Port;
        await fs.DisposeAsync();

        var error = await Assert.ThrowsAsync<EslConnectException>(() =>
            EslInboundClient.ConnectAsync(new EslInboundOptions { Port = port, Password = "x" }));
        Assert.Contains($"127.0.0.1:{port}", error.Message);
    }

    [Fact]
    public async Task A_switch_that_never_answers_auth_times_out_with_a_connect_exception()
    {
        await using var fs = new FakeFreeSwitch().Start();
        fs.Responsive = false;

        var error = await Assert.ThrowsAsync<EslConnectException>(() =>
            EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon", AuthTimeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Contains("no auth/request or auth reply in time", error.Message);
    }

    [Fact]
    public async Task Api_error_becomes_a_command_exception_with_the_reply_text()
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });

        var error = await Assert.ThrowsAsync<EslCommandException>(() => client.ApiAsync("no_such_command"));

        Assert.Equal("-ERR no_such_command Command not found!", error.ReplyText);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Concurrent_bgapi_jobs_are_matched_to_their_own_background_job()
    {
        await using var fs = new FakeFreeSwitch().Start();
        fs.BgApi = command => command.Contains("nowhere", StringComparison.Ordinal) ? "-ERR NO_ROUTE_DESTINATION\n" : "+OK " + command.Split(' ')[^1] + "\n";
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["BACKGROUND_JOB"]));

        var jobs = Enumerable.Range(0, 20)
            .Select(i => client.BgApiAsync(i % 2 == 0 ? $"originate loopback/nowhere &park() {i}" : $"originate loopback/park &park() uuid-{i}"))
            .ToArray();
        var results = await Task.WhenAll(jobs).WaitAsync(Timeout);

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(i % 2 != 0, results[i].IsSuccess);
            Assert.Equal(i % 2 == 0 ? "NO_ROUTE_DESTINATION" : $"uuid-{i}", results[i].Detail);
        }
        Assert.Equal(20, results.Select(r => r.JobUuid).Distinct().Count());
    }

    [Fact]
    public async Task Bgapi_works_with_plain_events_too()
    {
        await using var fs = new FakeFreeSwitch().Start();
        fs.BgApi = _ => "-ERR NORMAL_CLEARING\n";
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Plain, ["BACKGROUND_JOB"]));

        var result = await client.BgApiAsync("originate loopback/park/default &park()").WaitAsync(Timeout);

        Assert.False(result.IsSuccess);
        Assert.Equal("NORMAL_CLEARING", result.Detail);
    }

    [Fact]
    public async Task Subscribed_events_arrive_on_the_stream_and_filters_are_sent()
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.FilterAsync("Event-Name", "CHANNEL_CREATE");
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE", "CHANNEL_HANGUP"]));
        using var cts = new CancellationTokenSource(Timeout);
        var first = client.ReadEventsAsync(cancellationToken: cts.Token).FirstAsync(cts.Token).AsTask();

        await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "leg-1"));

        var evt = await first;
        Assert.Equal("CHANNEL_CREATE", evt.EventName);
        Assert.Equal("leg-1", evt.UniqueId);
        Assert.Equal("c8d42dfc-9c01-44b1-8f5d-132757598fff", evt.OtherLegUniqueId);
        Assert.Contains("filter Event-Name CHANNEL_CREATE", fs.Commands);
        Assert.Contains("event json CHANNEL_CREATE CHANNEL_HANGUP", fs.Commands);
    }

    [Fact]
    public async Task A_cancelled_api_keeps_reply_order_for_the_next_command()
    {
        await using var fs = new FakeFreeSwitch().Start();
        var slow = new TaskCompletionSource();
        fs.Api = command =>
        {
            if (command == "slow")
            {
                slow.Task.Wait(Timeout);
                return "slow-body";
            }
            return command + "-body";
        };
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        using var cancel = new CancellationTokenSource();

        var abandoned = client.ApiAsync("slow", cancel.Token);
        var next = client.ApiAsync("fast");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        slow.SetResult();

        Assert.Equal("fast-body", await next.WaitAsync(Timeout));
        Assert.Equal("again-body", await client.ApiAsync("again").WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_slow_event_consumer_does_not_stall_replies()
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon", EventQueueCapacity = 16 });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["CHANNEL_CREATE"]));
        await using var neverRead = client.ReadEventsAsync().GetAsyncEnumerator();

        for (var i = 0; i < 200; i++)
        {
            await fs.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_CREATE", "leg-" + i));
        }

        Assert.Contains("is ready", await client.ApiAsync("status").WaitAsync(Timeout));
    }

    [Fact]
    public async Task Dropping_the_link_fails_every_pending_call()
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });
        await client.SubscribeAsync(new EslSubscription(EslEventFormat.Json, ["BACKGROUND_JOB"]));
        fs.Responsive = false;
        var api = client.ApiAsync("status");
        var bgapi = client.BgApiAsync("originate x &park()");
        await fs.WaitUntilAsync(f => f.Commands.Count >= 4);

        fs.DropConnections();

        await Assert.ThrowsAsync<EslConnectionClosedException>(() => api.WaitAsync(Timeout));
        await Assert.ThrowsAsync<EslConnectionClosedException>(() => bgapi.WaitAsync(Timeout));
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Dispose_sends_exit()
    {
        await using var fs = new FakeFreeSwitch().Start();
        var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });

        await client.DisposeAsync();

        Assert.Equal("exit", fs.Commands.Last());
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Command_text_with_a_newline_is_refused_before_it_reaches_the_wire()
    {
        await using var fs = new FakeFreeSwitch().Start();
        await using var client = await EslInboundClient.ConnectAsync(new EslInboundOptions { Port = fs.Port, Password = "ClueCon" });

        await Assert.ThrowsAsync<ArgumentException>(() => client.ApiAsync("status\n\napi shutdown"));
        Assert.DoesNotContain(fs.Commands, c => c.Contains("shutdown", StringComparison.Ordinal));
    }
}
