using System.Text;
using BenchmarkDotNet.Attributes;
using EslCallflow.Callflows;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.Routing;

namespace EslCallflow.Benchmarks;

/// <summary>ring_group planning (resolve, exclude, order, build the dial string) for groups of 5, 50 and 500 members.</summary>
[MemoryDiagnoser]
public class PlanningBenchmarks
{
    private PbxConfiguration _config = null!;

    [Params(5, 50, 500)]
    public int Members { get; set; }

    [Params("simultaneous", "weighted_random")]
    public string Strategy { get; set; } = "simultaneous";

    [GlobalSetup]
    public void Setup()
    {
        var devices = new StringBuilder("[");
        var endpoints = new StringBuilder("[");
        for (var i = 0; i < Members; i++)
        {
            devices.Append(i == 0 ? "" : ",").Append($$"""{ "id": "d{{i}}", "sip": { "username": "{{2000 + i}}", "realm": "pbx.example.com" }, "caller_id": { "internal": { "name": "Phone {{i}}", "number": "{{2000 + i}}" } } }""");
            endpoints.Append(i == 0 ? "" : ",").Append($$"""{ "id": "d{{i}}", "endpoint_type": "device", "delay": {{i % 3}}, "weight": {{i % 100 + 1}} }""");
        }
        var callflow = $$"""{ "id": "rg", "numbers": ["7000"], "flow": { "module": "ring_group", "data": { "strategy": "{{Strategy}}", "ringtones": { "internal": "Ring2" }, "endpoints": {{endpoints}}] } } }""";
        var result = ConfigurationLoader.Load([("devices", "d.json", devices + "]"), ("callflows", "c.json", callflow)]);
        _config = result.Configuration ?? throw new InvalidOperationException(string.Join("\n", result.Errors));
    }

    [Benchmark]
    public string? Plan() => CallPlanner.Plan(_config, "7000", _config.Devices["d0"], seed: 12345).RingGroup?.DialString;
}
