using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.Loading;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Callflows.Modules;

public enum ToggleAction
{
    Login,
    Logout,
    Toggle,
}

/// <summary>
/// ring_group_toggle (KAZOO cf_ring_group_toggle, plus <c>toggle</c>): the calling device's member (its owner, else
/// the device) logs into or out of the ring group of callflow <see cref="CallflowId"/>; a logged-out member is left
/// out of that callflow's ring groups (reason <c>logged_out</c>). The caller hears <see cref="LoggedInMedia"/> or
/// <see cref="LoggedOutMedia"/>, or <see cref="RefusedMedia"/> when not a member.
/// </summary>
public sealed record RingGroupToggleData(ToggleAction Action, string CallflowId, bool SkipModule) : IModuleData<RingGroupToggleData>
{
    public const string Module = "ring_group_toggle";

    /// <summary>Two rising tones: logged in.</summary>
    public const string DefaultLoggedInMedia = "tone_stream://%(200,50,600);%(300,0,900)";

    /// <summary>Two falling tones: logged out.</summary>
    public const string DefaultLoggedOutMedia = "tone_stream://%(200,50,900);%(300,0,600)";

    /// <summary>A low buzz: the caller is not a member of that ring group (or is not a known device).</summary>
    public const string DefaultRefusedMedia = "tone_stream://%(500,100,300);%(500,0,300)";

    public static IReadOnlyList<string> Modules { get; } = [Module];

    private static readonly Dictionary<string, ToggleAction> Actions = new(StringComparer.Ordinal)
    {
        ["login"] = ToggleAction.Login,
        ["logout"] = ToggleAction.Logout,
        ["toggle"] = ToggleAction.Toggle,
    };

    public string LoggedInMedia { get; init; } = DefaultLoggedInMedia;
    public string LoggedOutMedia { get; init; } = DefaultLoggedOutMedia;
    public string RefusedMedia { get; init; } = DefaultRefusedMedia;

    public IEnumerable<DocumentReference> References => CallflowId.Length > 0 ? [new(DocumentKind.RingGroupCallflow, CallflowId, "callflow_id")] : [];

    public static RingGroupToggleData Parse(string module, DocumentReader reader, JsonElement data, string path)
    {
        var media = reader.Object(data, "media", path);
        string? Media(string name) => media is { } m ? reader.String(m, name, $"{path}.media", check: v => SafeText.CheckMedia(v)) : null;
        return new RingGroupToggleData(
            reader.Enum(data, "action", path, Actions, null, required: true) ?? ToggleAction.Toggle,
            reader.String(data, "callflow_id", path, required: true, check: SafeText.CheckId) ?? "",
            reader.Bool(data, "skip_module", path, false))
        {
            LoggedInMedia = Media("logged_in") ?? DefaultLoggedInMedia,
            LoggedOutMedia = Media("logged_out") ?? DefaultLoggedOutMedia,
            RefusedMedia = Media("refused") ?? DefaultRefusedMedia,
        };
    }

    /// <summary>Whether the member ends logged out, given whether it is now.</summary>
    public bool LogsOut(bool loggedOutNow) => Action switch
    {
        ToggleAction.Login => false,
        ToggleAction.Logout => true,
        _ => !loggedOutNow,
    };

    /// <summary>
    /// Whether <paramref name="device"/>'s member (<see cref="RingGroupFacts.MemberKey"/>) rings in a ring group of
    /// <paramref name="callflow"/>: one of its ring_group nodes reaches a device of that member.
    /// </summary>
    public static bool IsMember(PbxConfiguration config, Callflow callflow, Device device)
    {
        var member = RingGroupFacts.MemberKey(device);
        foreach (var group in RingGroupsOf(callflow.Flow))
        {
            var resolved = EndpointResolver.Resolve(config, group.Endpoints, group.Strategy, CallerContext.External);
            if (resolved.Legs.Any(l => RingGroupFacts.MemberKey(l.Device) == member)
                || resolved.Excluded.Any(e => config.Devices.TryGetValue(e.DeviceId, out var d) && RingGroupFacts.MemberKey(d) == member))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The ring_group nodes of a flow, depth first.</summary>
    public static IEnumerable<RingGroupData> RingGroupsOf(FlowNode node)
    {
        if (node.Parsed is RingGroupData group)
        {
            yield return group;
        }
        foreach (var child in node.Children.Values)
        {
            foreach (var nested in RingGroupsOf(child))
            {
                yield return nested;
            }
        }
    }
}
