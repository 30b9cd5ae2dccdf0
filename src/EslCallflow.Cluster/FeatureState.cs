using StackExchange.Redis;

namespace EslCallflow.Cluster;

/// <summary>
/// State that ring-group features share across the cluster (rotation pointers, member log-in): small named
/// values and counters under <c>state:</c>. Each call returns null (or false) when the store does not answer in
/// time, and the feature then decides with what its own node knows.
/// </summary>
public sealed class FeatureState(ClusterStore store, ClusterConnection connection)
{
    private readonly ClusterKeys _keys = connection.Keys;

    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var (answered, value) = await store.AskAsync(db => db.StringGetAsync(_keys.State(Checked(name))), cancellationToken).ConfigureAwait(false);
        return answered && !value.IsNull ? value.ToString() : null;
    }

    /// <summary>Sets the value, for <paramref name="lifetime"/> or for good; false when the store did not answer.</summary>
    public async Task<bool> SetAsync(string name, string value, TimeSpan? lifetime = null, CancellationToken cancellationToken = default) =>
        (await store.AskAsync(db => lifetime is { } ttl ? db.StringSetAsync(_keys.State(Checked(name)), value, ttl) : db.StringSetAsync(_keys.State(Checked(name)), value), cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Adds one and returns the new value (a rotation pointer), atomically across nodes; null when the store did not answer.</summary>
    public async Task<long?> IncrementAsync(string name, CancellationToken cancellationToken = default) =>
        await store.AskAsync(db => db.StringIncrementAsync(_keys.State(Checked(name))), cancellationToken).ConfigureAwait(false) is (true, var value) ? value : null;

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
        (await store.AskAsync(db => db.KeyDeleteAsync(_keys.State(Checked(name))), cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>Sets one field of the hash <paramref name="name"/>; false when the store did not answer.</summary>
    public async Task<bool> SetFieldAsync(string name, string field, string value, CancellationToken cancellationToken = default) =>
        (await store.AskAsync(db => db.HashSetAsync(_keys.State(Checked(name)), field, value), cancellationToken).ConfigureAwait(false)).Answered;

    /// <summary>Every field of the hash <paramref name="name"/>; null when the store did not answer.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> FieldsAsync(string name, CancellationToken cancellationToken = default) =>
        await store.AskAsync(db => db.HashGetAllAsync(_keys.State(Checked(name))), cancellationToken).ConfigureAwait(false) is (true, var entries)
            ? entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal)
            : null;

    /// <summary>Adds <paramref name="member"/> to (or removes it from) the set <paramref name="name"/>; true when that changed it, null when the store did not answer.</summary>
    public async Task<bool?> SetMemberAsync(string name, string member, bool present, CancellationToken cancellationToken = default) =>
        await store.AskAsync(db => present ? db.SetAddAsync(_keys.State(Checked(name)), member) : db.SetRemoveAsync(_keys.State(Checked(name)), member), cancellationToken).ConfigureAwait(false) is (true, var changed)
            ? changed
            : null;

    /// <summary>The members of the set <paramref name="name"/>, sorted; null when the store did not answer.</summary>
    public async Task<IReadOnlyList<string>?> MembersAsync(string name, CancellationToken cancellationToken = default) =>
        await store.AskAsync(db => db.SetMembersAsync(_keys.State(Checked(name))), cancellationToken).ConfigureAwait(false) is (true, var members)
            ? [.. members.Select(m => m.ToString()).Order(StringComparer.Ordinal)]
            : null;

    private static string Checked(string name) =>
        name.Length is > 0 and <= 200 && name.All(c => c > ' ' && c < 127)
            ? name
            : throw new ArgumentException("a state name is 1 to 200 printable ASCII characters without spaces", nameof(name));
}
