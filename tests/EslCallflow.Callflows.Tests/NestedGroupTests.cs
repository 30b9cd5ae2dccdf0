using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.RingGroups;
using EslCallflow.Callflows.Routing;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.Tests;

/// <summary>Groups nested as a diamond: each group is resolved once per plan, with exactly the legs expanding every path gives.</summary>
public class NestedGroupTests
{
    /// <summary>
    /// Levels 0..<paramref name="levels"/>-1 of two groups each, both holding both groups of the next level:
    /// 2^(levels-1) paths reach each device at the bottom. A{i}'s entry for B{i+1} sets delay i+1.
    /// </summary>
    private static string Diamond(int levels) => "[" + string.Join(",", Enumerable.Range(0, levels).SelectMany(i => new[]
    {
        i == levels - 1
            ? $$"""{ "id": "A{{i}}", "endpoints": { "d1005": { "type": "device" } } }"""
            : $$"""{ "id": "A{{i}}", "endpoints": { "A{{i + 1}}": { "type": "group" }, "B{{i + 1}}": { "type": "group", "delay": {{i + 1}} } } }""",
        i == levels - 1
            ? $$"""{ "id": "B{{i}}", "endpoints": { "d1006": { "type": "device" } } }"""
            : $$"""{ "id": "B{{i}}", "endpoints": { "A{{i + 1}}": { "type": "group" }, "B{{i + 1}}": { "type": "group" } } }""",
    })) + "]";

    [Fact]
    public void A_diamond_60_levels_deep_loads_and_plans_each_device_once_with_the_smallest_delay()
    {
        // 2^59 paths: expanding each one (as before) would not finish in this test run.
        var result = Fixtures.Load(Fixtures.RingGroup("""{ "endpoints": [ { "id": "A0", "endpoint_type": "group", "timeout": 30 } ] }"""), groups: Diamond(60));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));

        var plan = CallPlanner.Plan(result.Configuration!, "7000", null, 1);

        Assert.Equal([("d1005", 0, 30), ("d1006", 1, 30)], plan.RingGroup!.Legs.Select(l => (l.Device.Id, l.Delay, l.Timeout)));
    }

    [Fact]
    public void Resolving_matches_expanding_every_path_on_random_nested_groups()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var config = RandomConfiguration(random);
            var members = Enumerable.Range(0, random.Next(1, 5)).Select(_ => RandomMember(random, config)).ToList();
            var caller = new CallerContext(random.Next(3) == 0 ? config.Devices.Values.OrderBy(d => d.Id, StringComparer.Ordinal).First() : null);
            foreach (var strategy in new[] { RingStrategy.Simultaneous, RingStrategy.Single })
            {
                var resolved = EndpointResolver.Resolve(config, members, strategy, caller);
                var expected = EveryPath.Resolve(config, members, strategy, caller);

                Assert.True(expected.Legs.SequenceEqual(resolved.Legs), $"seed {seed} {strategy}: legs {Show(resolved.Legs)} != {Show(expected.Legs)}");
                Assert.Equal(expected.Excluded.Distinct(), resolved.Excluded);
            }
        }
    }

    private static string Show(IEnumerable<ResolvedLeg> legs) => string.Join(" ", legs.Select(l => $"{l.Device.Id}/{l.Delay}/{l.Timeout}/{l.Weight}"));

    /// <summary>Six devices (one disabled, two owned by one user), a user without devices, and up to ten groups nesting only deeper ones (no cycles).</summary>
    private static PbxConfiguration RandomConfiguration(Random random)
    {
        var devices = Enumerable.Range(1, 6).Select(i => new Device($"d{i}", null, i is 1 or 2 ? "u1" : null, i != 6, $"{i}", "r", false, null, null, null, null, null)).ToList();
        var users = new[] { new User("u1", null, null, true, false), new User("u2", null, null, true, false) };
        var groupCount = random.Next(1, 11);
        int? Maybe(int max) => random.Next(3) == 0 ? random.Next(0, max) : null;
        var groups = Enumerable.Range(0, groupCount).Select(g => new Group($"g{g}", null,
            Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(4) switch
            {
                0 when g + 1 < groupCount => new GroupEndpoint($"g{random.Next(g + 1, groupCount)}", EndpointType.Group, Maybe(4), Maybe(40) is { } t ? t + 1 : null, Maybe(50) is { } w ? w + 1 : null),
                1 => new GroupEndpoint(random.Next(2) == 0 ? "u1" : "u2", EndpointType.User, Maybe(4), null, null),
                _ => new GroupEndpoint($"d{random.Next(1, 7)}", EndpointType.Device, Maybe(4), Maybe(40) is { } t2 ? t2 + 1 : null, null),
            }).DistinctBy(e => e.Id).ToList())).ToList();
        return new PbxConfiguration(devices, users, groups, []);
    }

    private static RingGroupEndpoint RandomMember(Random random, PbxConfiguration config) => random.Next(3) switch
    {
        0 => new RingGroupEndpoint($"g{random.Next(config.Groups.Count)}", EndpointType.Group, random.Next(4), random.Next(1, 40), random.Next(1, 50)),
        1 => new RingGroupEndpoint("u1", EndpointType.User, random.Next(4), 20, 20),
        _ => new RingGroupEndpoint($"d{random.Next(1, 8)}", EndpointType.Device, random.Next(4), 20, 20),
    };

    /// <summary>
    /// docs/behaviour.md ring_group rules 1 to 3 read literally: expand every path (a group's own delay/timeout/weight
    /// overriding what it inherits), then keep one leg per device in first-reached order (simultaneous: the first
    /// of the smallest delay; otherwise the first). Exponential in diamonds, so only for small configurations.
    /// </summary>
    private static class EveryPath
    {
        public static ResolvedMembers Resolve(PbxConfiguration config, IReadOnlyList<RingGroupEndpoint> members, RingStrategy strategy, CallerContext caller)
        {
            var occurrences = new List<ResolvedLeg>();
            var excluded = new List<Exclusion>();
            foreach (var member in members)
            {
                Expand(config, member.Type, member.Id, member.Delay, member.Timeout, member.Weight, occurrences, excluded);
            }
            var legs = new List<ResolvedLeg>();
            foreach (var leg in occurrences)
            {
                if (Excluded(leg.Device, caller, config) is { } reason)
                {
                    if (!excluded.Any(e => e.DeviceId == leg.Device.Id))
                    {
                        excluded.Add(new Exclusion(leg.Device.Id, reason));
                    }
                    continue;
                }
                var index = legs.FindIndex(l => l.Device.Id == leg.Device.Id);
                if (index < 0)
                {
                    legs.Add(leg);
                }
                else if (strategy == RingStrategy.Simultaneous && leg.Delay < legs[index].Delay)
                {
                    legs[index] = leg;
                }
            }
            return new ResolvedMembers(legs, excluded);
        }

        private static void Expand(PbxConfiguration config, EndpointType type, string id, int delay, int timeout, int weight, List<ResolvedLeg> into, List<Exclusion> excluded)
        {
            switch (type)
            {
                case EndpointType.Device when config.Devices.TryGetValue(id, out var device):
                    into.Add(new ResolvedLeg(device, delay, timeout, weight));
                    break;
                case EndpointType.User:
                    if (config.DevicesOf(id).Count == 0)
                    {
                        excluded.Add(new Exclusion($"user:{id}", "user has no devices"));
                    }
                    into.AddRange(config.DevicesOf(id).Select(d => new ResolvedLeg(d, delay, timeout, weight)));
                    break;
                case EndpointType.Group when config.Groups.TryGetValue(id, out var group):
                    foreach (var e in group.Endpoints)
                    {
                        Expand(config, e.Type, e.Id, e.Delay ?? delay, e.Timeout ?? timeout, e.Weight ?? weight, into, excluded);
                    }
                    break;
                default:
                    excluded.Add(new Exclusion($"{type.ToString().ToLowerInvariant()}:{id}", "does not exist"));
                    break;
            }
        }

        private static string? Excluded(Device device, CallerContext caller, PbxConfiguration config) =>
            caller.Device?.Id == device.Id ? "is the calling device"
            : caller.Device?.OwnerId is { } owner && device.OwnerId == owner ? $"belongs to the caller's user '{owner}'"
            : !device.Enabled ? "device is disabled"
            : device.DoNotDisturb ? "device has do-not-disturb on"
            : device.OwnerId is { } o && config.Users.TryGetValue(o, out var user) && !user.Enabled ? $"owner '{o}' is disabled"
            : null;
    }
}
