using System.Collections.Frozen;
using System.Text.RegularExpressions;
using EslCallflow.Callflows.Documents;
using Group = EslCallflow.Callflows.Documents.Group;

namespace EslCallflow.Callflows;

/// <summary>The callflow a dialled number reaches, and what its pattern captured (empty for an exact number).</summary>
public sealed record CallflowMatch(Callflow Callflow, IReadOnlyList<string> Captures);

/// <summary>A validated, immutable configuration: the directory (devices, users, groups) and the callflows.</summary>
public sealed class PbxConfiguration
{
    private readonly FrozenDictionary<string, Callflow> _byNumber;
    private readonly (Regex Pattern, Callflow Callflow)[] _patterns;
    private readonly FrozenDictionary<string, Device> _bySipIdentity;
    private readonly FrozenDictionary<string, Device[]> _devicesByOwner;

    public PbxConfiguration(IEnumerable<Device> devices, IEnumerable<User> users, IEnumerable<Group> groups, IEnumerable<Callflow> callflows)
    {
        Devices = devices.ToFrozenDictionary(d => d.Id, StringComparer.Ordinal);
        Users = users.ToFrozenDictionary(u => u.Id, StringComparer.Ordinal);
        Groups = groups.ToFrozenDictionary(g => g.Id, StringComparer.Ordinal);
        Callflows = callflows.ToFrozenDictionary(c => c.Id, StringComparer.Ordinal);
        _byNumber = Callflows.Values.SelectMany(c => c.Numbers.Select(n => (n, c))).ToFrozenDictionary(p => p.n, p => p.c, StringComparer.Ordinal);
        _patterns = Callflows.Values.OrderBy(c => c.Id, StringComparer.Ordinal)
            .SelectMany(c => c.Patterns.Select(p => (AnchoredPattern(p), c)))
            .ToArray();
        _bySipIdentity = Devices.Values.ToFrozenDictionary(d => SipKey(d.SipUsername, d.SipRealm), StringComparer.OrdinalIgnoreCase);
        _devicesByOwner = Devices.Values.Where(d => d.OwnerId is not null)
            .GroupBy(d => d.OwnerId!, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    public FrozenDictionary<string, Device> Devices { get; }
    public FrozenDictionary<string, User> Users { get; }
    public FrozenDictionary<string, Group> Groups { get; }
    public FrozenDictionary<string, Callflow> Callflows { get; }

    /// <summary>Exact number first, then the patterns (anchored), in callflow id order.</summary>
    public Callflow? FindCallflow(string dialled) => MatchCallflow(dialled)?.Callflow;

    /// <summary>As <see cref="FindCallflow"/>, with what the matching pattern captured (group_pickup_feature reads the first capture).</summary>
    public CallflowMatch? MatchCallflow(string dialled)
    {
        if (_byNumber.TryGetValue(dialled, out var exact))
        {
            return new CallflowMatch(exact, []);
        }
        foreach (var (pattern, callflow) in _patterns)
        {
            try
            {
                if (pattern.Match(dialled) is { Success: true } match)
                {
                    return new CallflowMatch(callflow, [.. match.Groups.Cast<System.Text.RegularExpressions.Group>().Skip(1).Where(g => g.Success).Select(g => g.Value)]);
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological pattern must not stall a call; treat as no match.
            }
        }
        return null;
    }

    /// <summary>The device registered as <paramref name="username"/>@<paramref name="realm"/> (realm case-insensitive).</summary>
    public Device? FindDevice(string? username, string? realm) =>
        username is null || realm is null ? null : _bySipIdentity.GetValueOrDefault(SipKey(username, realm));

    public IReadOnlyList<Device> DevicesOf(string userId) => _devicesByOwner.GetValueOrDefault(userId) ?? [];

    /// <summary>
    /// A callflow pattern as matched: anchored at both ends. Loading validates this very form, since a valid
    /// pattern can stop being one once wrapped (in <c>(?x)7#</c> the comment swallows the closing anchor).
    /// </summary>
    internal static Regex AnchoredPattern(string pattern) =>
        new($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));

    private static string SipKey(string username, string realm) => username + "@" + realm;
}
