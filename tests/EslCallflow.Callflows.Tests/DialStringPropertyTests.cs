using System.Text.Json;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Routing;
using EslCallflow.Testing;
using EslCallflow.Testing.FreeSwitchModel;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Tests;

/// <summary>
/// For any text over an alphabet of everything FreeSWITCH's parsers treat specially, the dial string, read by the
/// FreeSWITCH model, gives exactly the intended legs and variables with the values as written, or the value is refused.
/// </summary>
public class DialStringPropertyTests
{
    private static readonly string[] Hostile =
    [
        "'", "''", "!", ",", "|", "^", "^^", ":", ":_:", ":_", "_:", "$", "$$", "{", "}", "${", "$${", "$\\{", "[", "]", "[^^!",
        "\\", "\\\\", "\\'", "\\s", "\\n", "\\t", "\"", " ", "  ", "=", "%", "%25", "%4", "%41", "%2", "~", "#", ";", "&", "*", "+",
        "@", "?", "/", "<", ">", "é", "ß", "日本", "😀", "a", "s", "n", "t", "0", "9", "ARRAY::", "|:", "origination_nested_vars=true",
        "sip_h_X=1", "\n", "\t", "\u0001", "\u0002",
    ];

    /// <summary>Text of up to 8 pieces of <see cref="Hostile"/>.</summary>
    private static Gen<string> HostileText(params string[] extra) =>
        Gen.Elements(Hostile.Concat(extra).ToArray()).ArrayOf().Select(parts => string.Concat(parts.Take(8)));

    private static readonly RingGroupData Simultaneous = new([], RingStrategy.Simultaneous, 25, 1, null, null, null, false, true, false);

    public sealed record LegInput(string DeviceId, string? AlertInfo, int Delay);

    public sealed record BuildInput(IReadOnlyList<LegInput> Legs, string? CallerName, string? CallerNumber, bool Single);

    private static Arbitrary<BuildInput> BuildInputs()
    {
        var text = HostileText("\ud800", "\udc00x");
        var leg = from id in text
                  from alert in Gen.OneOf(Gen.Constant<string?>(null), text.Select(t => (string?)t))
                  from delay in Gen.Choose(0, 3)
                  select new LegInput(id, alert, delay);
        var input = from count in Gen.Choose(1, 4)
                    from legs in leg.ListOf(count)
                    from name in Gen.OneOf(Gen.Constant<string?>(null), text.Select(t => (string?)t))
                    from number in Gen.OneOf(Gen.Constant<string?>(null), text.Select(t => (string?)t))
                    from single in Gen.Elements(true, false)
                    select new BuildInput(legs.ToList(), name, number, single);
        return input.ToArbitrary();
    }

    [Property(MaxTest = 1500)]
    public Property Any_values_give_exactly_the_intended_legs_and_variables_or_are_refused() => Prop.ForAll(BuildInputs(), input =>
    {
        var caller = new CallerContext(Device("caller", 0) with { CallerIdInternal = new CallerId(input.CallerName, input.CallerNumber) });
        var legs = input.Legs.Select((l, i) => new PlannedLeg(Device(l.DeviceId, i), l.Delay, 10 + i, l.AlertInfo)).ToList();
        var data = Simultaneous with { Strategy = input.Single ? RingStrategy.Single : RingStrategy.Simultaneous };
        var values = input.Legs.SelectMany(l => new[] { l.DeviceId, l.AlertInfo }).Append(input.CallerName).Append(input.CallerNumber);

        if (values.Any(v => !string.IsNullOrEmpty(v) && ChannelValue.Problem(v) is not null))
        {
            Assert.Throws<ArgumentException>(() => DialString.Build(data, legs, caller));
            return;
        }

        var parsed = FreeSwitchDialString.Parse(DialString.Build(data, legs, caller));

        Assert.False(parsed.Enterprise);
        Assert.Empty(parsed.ApiCalls);
        Assert.Empty(parsed.VariablesExpanded);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["call_timeout"] = "26", ["originate_timeout"] = "26", ["ignore_early_media"] = "true",
                ["local_var_clobber"] = "true", ["outbound_redirect_fatal"] = "true",
            },
            parsed.Globals);
        Assert.Equal(input.Single ? input.Legs.Count : 1, parsed.Originates[0].Groups.Count);
        Assert.Equal(legs.Select(l => l.Endpoint), parsed.Legs.Select(l => l.Endpoint));
        for (var i = 0; i < legs.Count; i++)
        {
            var leg = parsed.Legs[i];
            var expected = new Dictionary<string, string> { ["leg_timeout"] = (10 + i).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (input.Legs[i].Delay > 0)
            {
                expected["leg_delay_start"] = input.Legs[i].Delay.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (!string.IsNullOrEmpty(input.Legs[i].AlertInfo))
            {
                expected["sip_h_Alert-Info"] = input.Legs[i].AlertInfo!;
            }
            if (input.Legs[i].DeviceId.Length > 0)
            {
                expected[DialString.DeviceVariable] = input.Legs[i].DeviceId;
            }
            if (!string.IsNullOrEmpty(input.CallerName))
            {
                expected["origination_caller_id_name"] = SipDisplayName.Encode(input.CallerName);
                if (input.CallerName.AsSpan().IndexOfAny("/:@") >= 0)
                {
                    // Checked by what it does to the leg (its caller profile and the phone's display, below), not by its text.
                    expected[LegCallerIdName.RestoreVariable] = leg.Variables.GetValueOrDefault(LegCallerIdName.RestoreVariable) ?? "(missing)";
                }
            }
            if (!string.IsNullOrEmpty(input.CallerNumber))
            {
                expected["origination_caller_id_number"] = input.CallerNumber;
            }
            Assert.Equal(expected, leg.Variables);
            Assert.Empty(leg.RefusedVariables);
            Assert.Equal(expected.Count + parsed.Globals.Count, leg.ChannelVariables.Count);
            Assert.All(expected, e => Assert.Equal(e.Value, leg.ChannelVariables[e.Key]));
            if (!string.IsNullOrEmpty(input.CallerName))
            {
                Assert.Equal(SipDisplayName.Encode(input.CallerName), SofiaCallerId.ProfileName(leg));
                Assert.Equal(input.CallerName, SofiaCallerId.OnPhone(leg));
            }
        }
    });

    public sealed record DocumentInput(string Name, string Ringtone);

    private static Arbitrary<DocumentInput> DocumentInputs()
    {
        var text = HostileText();
        var ringtone = Gen.OneOf(
            text,
            text.Select(t => "info=" + t),
            text.Select(t => $"<http://pbx/{t}>;info={t}"),
            Gen.Elements("Bellcore-dr2", "info=ring-2", "http://pbx/ring.wav", "<sip:ring@pbx>;info=x;y"));
        return (from name in text from tone in ringtone select new DocumentInput(name, tone)).ToArbitrary();
    }

    [Property(MaxTest = 300)]
    public Property Document_values_reach_the_legs_as_written_or_the_load_names_file_document_and_field() => Prop.ForAll(DocumentInputs(), input =>
    {
        var devices = $$"""
        [
          { "id": "d1", "sip": { "username": "1001", "realm": "r" }, "caller_id": { "internal": { "name": {{JsonSerializer.Serialize(input.Name)}}, "number": "1001" } } },
          { "id": "d2", "sip": { "username": "1002", "realm": "r" }, "ringtones": { "internal": {{JsonSerializer.Serialize(input.Ringtone)}} } },
          { "id": "d3", "sip": { "username": "1003", "realm": "r" } }
        ]
        """;
        var result = Fixtures.Load(Fixtures.RingGroup("""{ "endpoints": [ { "id": "d2", "endpoint_type": "device" }, { "id": "d3", "endpoint_type": "device" } ] }"""), devices, "[]", """{ "id": "g", "endpoints": {} }""");

        var nameProblem = input.Name.Length == 0 ? null : Loading.SafeText.CheckText(input.Name);
        var ringtoneProblem = Loading.SafeText.CheckRingtone(input.Ringtone);
        if (nameProblem is not null || ringtoneProblem is not null)
        {
            Assert.Null(result.Configuration);
            Assert.All(result.Errors, e => Assert.Equal("devices/office.json", e.File));
            Assert.Equal(nameProblem is not null, result.Errors.Any(e => e.DocumentId == "d1" && e.Path == "$.caller_id.internal.name" && e.Reason.EndsWith(nameProblem!, StringComparison.Ordinal)));
            Assert.Equal(ringtoneProblem is not null, result.Errors.Any(e => e.DocumentId == "d2" && e.Path == "$.ringtones.internal" && e.Reason.EndsWith(ringtoneProblem!, StringComparison.Ordinal)));
            return;
        }

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var config = result.Configuration!;
        var parsed = FreeSwitchDialString.Parse(CallPlanner.Plan(config, "7000", config.Devices["d1"], 1).RingGroup!.DialString!);

        Assert.False(parsed.Enterprise);
        Assert.Equal(["user/1002@r", "user/1003@r"], parsed.Legs.Select(l => l.Endpoint));
        Assert.Equal(["d2", "d3"], parsed.Legs.Select(l => l.ChannelVariables[DialString.DeviceVariable]));
        Assert.Equal(AlertInfo.Header(input.Ringtone), parsed.Legs[0].ChannelVariables["sip_h_Alert-Info"]);
        Assert.False(parsed.Legs[1].ChannelVariables.ContainsKey("sip_h_Alert-Info"));
        for (var i = 0; i < parsed.Legs.Count; i++)
        {
            var leg = parsed.Legs[i];
            Assert.Empty(leg.RefusedVariables);
            Assert.Equal(input.Name.Length == 0 ? null : input.Name, SofiaCallerId.OnPhone(leg));
            var keys = new List<string> { "eslcallflow_device_id", "leg_timeout", "origination_caller_id_number" };
            if (input.Name.Length > 0)
            {
                keys.Add("origination_caller_id_name");
            }
            if (input.Name.AsSpan().IndexOfAny("/:@") >= 0)
            {
                keys.Add(LegCallerIdName.RestoreVariable);
            }
            if (i == 0)
            {
                keys.Add("sip_h_Alert-Info");
            }
            Assert.Equal(keys.Order(), leg.Variables.Keys.Order());
        }
    });

    private static Device Device(string id, int index) =>
        new(id, null, null, true, $"10{index}", "r", false, null, null, null, null, null);
}
