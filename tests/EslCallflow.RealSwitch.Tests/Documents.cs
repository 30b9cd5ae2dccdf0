using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using EslCallflow.RealSwitch.Tests.Switch;

namespace EslCallflow.RealSwitch.Tests;

/// <summary>Documents a test puts in place for its length (through <see cref="DaemonInstance.OverrideDocumentAsync"/>).</summary>
public static class Documents
{
    /// <summary>The bundled devices/devices.json with one device's <paramref name="property"/> set to <paramref name="value"/>.</summary>
    public static string DevicesWith(string deviceId, string property, JsonNode value)
    {
        var devices = JsonNode.Parse(File.ReadAllText(Path.Combine(SuitePaths.Repository, "src", "EslCallflow", "config", "devices", "devices.json")))!.AsArray();
        var device = devices.Single(d => (string?)d!["id"] == deviceId)!.AsObject();
        device[property] = value;
        return devices.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public static string DevicesWithRingtone(string deviceId, string ringtone) =>
        DevicesWith(deviceId, "ringtones", new JsonObject { ["internal"] = ringtone, ["external"] = ringtone });

    public static string DevicesWithCallerName(string deviceId, string name, string number) =>
        DevicesWith(deviceId, "caller_id", new JsonObject { ["internal"] = new JsonObject { ["name"] = name, ["number"] = number } });
}
