using EslCallflow.Testing;

namespace EslCallflow.Tests;

/// <summary>What issue 31's feature tests set up on the fake switch, whichever way in they test.</summary>
internal static class RingGroupFeatureScenes
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Ring group 7100 of dev1001, dev1003 and dev1004 with <paramref name="fields"/>, its USER_BUSY child a 486.</summary>
    public static string Group(string fields) => $$"""
        { "id": "rg-7100", "numbers": ["7100"], "flow": {
            "module": "ring_group",
            "data": { {{fields}} "timeout": 10, "endpoints": [ { "id": "dev1001", "endpoint_type": "device" }, { "id": "dev1003", "endpoint_type": "device" }, { "id": "dev1004", "endpoint_type": "device" } ] },
            "children": { "USER_BUSY": { "module": "response", "data": { "code": 486, "message": "Busy Here" } } } } }
        """;

    /// <summary>The feed shows <paramref name="deviceId"/> answered on leg <paramref name="leg"/> of another call.</summary>
    public static async Task OnACallAsync(RunningDaemon daemon, string deviceId, string? leg = null)
    {
        await daemon.FreeSwitch.PublishAsync(EventTemplates.RingingLegEvent("CHANNEL_ANSWER", leg ?? "talking-" + deviceId, new Dictionary<string, string>
        {
            ["Answer-State"] = "answered", ["Channel-Call-State"] = "ACTIVE", ["variable_eslcallflow_device_id"] = deviceId,
        }));
        await Eventually.True(() => daemon.Tracker.AnsweredDeviceKeys().Contains("id:" + deviceId), Timeout);
    }
}
