using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Modules;
using EslCallflow.Calls;
using EslCallflow.Calls.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace EslCallflow.Tests;

/// <summary>A runner is found from its class alone; a module without one, or with two, stops the daemon at start.</summary>
public class CallflowModulesTests
{
    [Fact]
    public async Task Each_module_has_the_runner_typed_by_its_data()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var modules = daemon.Host.Services.GetRequiredService<CallflowModules>();

        foreach (var name in ModuleCatalog.Names)
        {
            Assert.Equal(ModuleCatalog.DataTypeOf(name), modules.Find(name)!.DataType);
        }
        Assert.IsType<RingTargetModule>(modules.Find("user"));
        Assert.Same(modules.Find("device"), modules.Find("user"));
    }

    [Fact]
    public async Task A_runner_gives_one_step_for_both_ways_in_unless_its_module_waits_on_a_result()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        // What the dialplan path runs over the shared pieces of Calls/Ringing and Calls/Pickup, or leaves to the socket
        // (Dialplan.CallflowNeeds): nothing else may have a run of its own that only the socket path knows.
        Type[] waiting = [typeof(RingGroupData), typeof(RingTargetData), typeof(RingGroupToggleData)];

        foreach (var runner in daemon.Host.Services.GetServices<ICallflowModule>())
        {
            var ownStep = Overrides(runner, "Step", typeof(ICall), typeof(FlowNode), runner.DataType, typeof(bool));
            var ownRun = Overrides(runner, "RunAsync", typeof(CallContext), typeof(FlowNode), runner.DataType, typeof(CancellationToken));

            Assert.True(ownStep != ownRun, $"{runner.GetType().Name}: a step or a run of its own, one of the two");
            Assert.True(ownStep || waiting.Contains(runner.DataType) || typeof(IPickupData).IsAssignableFrom(runner.DataType),
                $"{runner.GetType().Name} runs only on the socket path: give it a Step");
        }
    }

    private static bool Overrides(ICallflowModule runner, string method, params Type[] parameters) =>
        runner.GetType().GetMethod(method, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic, parameters)?.DeclaringType == runner.GetType();

    [Fact]
    public async Task A_module_whose_data_has_no_runner_is_refused_naming_it()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var runners = daemon.Host.Services.GetServices<ICallflowModule>().Where(m => m is not PlayModule);

        var refused = Assert.Throws<InvalidOperationException>(() => new CallflowModules(runners));

        Assert.Contains("module(s) play have data but no runner", refused.Message, StringComparison.Ordinal);
        Assert.Contains("CallflowModule<PlayData>", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_runners_for_one_module_are_refused()
    {
        await using var daemon = await RunningDaemon.StartAsync();
        var runners = daemon.Host.Services.GetServices<ICallflowModule>().Append(new PlayModule());

        var refused = Assert.Throws<InvalidOperationException>(() => new CallflowModules(runners));

        Assert.Contains("module 'play' has two runners", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runner_handed_another_module_s_data_refuses_it_instead_of_casting()
    {
        var node = new FlowNode("play", JsonDocument.Parse("{}").RootElement, new Dictionary<string, FlowNode>(), new TransferData("1000", "default", "XML", false));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => new PlayModule().RunAsync(null!, node, CancellationToken.None));

        Assert.Equal("module 'play' carries TransferData, not PlayData", refused.Message);
    }
}
