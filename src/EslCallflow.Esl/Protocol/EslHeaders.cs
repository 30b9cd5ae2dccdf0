using System.Collections;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// Immutable, ordered header collection with ordinal (case-sensitive, as FreeSWITCH is) lookup.
/// A repeated name keeps its last value, as FreeSWITCH's own event API does on lookup.
/// </summary>
public sealed class EslHeaders : IReadOnlyDictionary<string, string>
{
    public static readonly EslHeaders Empty = new(new Dictionary<string, string>(0, StringComparer.Ordinal));

    private readonly IHeaderLookup? _lazy;
    private readonly KeyValuePair<string, string>[]? _few;
    private Dictionary<string, string>? _values;

    private EslHeaders(Dictionary<string, string> values) => _values = values;

    private EslHeaders(KeyValuePair<string, string>[] few) => _few = few;

    private EslHeaders(IHeaderLookup lazy) => _lazy = lazy;

    public static EslHeaders From(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in pairs)
        {
            values[name] = value;
        }
        return new EslHeaders(values);
    }

    /// <summary>Takes ownership of <paramref name="values"/>; callers must not mutate it afterwards.</summary>
    internal static EslHeaders Wrap(Dictionary<string, string> values) => new(values);

    /// <summary>
    /// The same headers in packed form (see <see cref="PackedHeaders"/>): for headers kept a long time, like a
    /// call's channel data, at the cost of decoding a value each time it is read.
    /// </summary>
    public EslHeaders Compact() => _values is { } values ? Lazy(PackedHeaders.Pack(values)) : this;

    /// <summary>
    /// A handful of distinct headers (a selected event's): one array searched in order, which for a dozen
    /// names is as fast as a dictionary and a third of the objects. Takes ownership of <paramref name="few"/>;
    /// its unused tail is left empty (null names), so it can be sized for the most headers there could be.
    /// </summary>
    internal static EslHeaders Few(KeyValuePair<string, string>[] few) => new(few);

    /// <summary>Headers decoded on demand (see <see cref="HeaderIndex"/> and <see cref="PackedHeaders"/>).</summary>
    internal static EslHeaders Lazy(IHeaderLookup lazy) => new(lazy);

    public string? this[string name] => _values is { } values ? values.GetValueOrDefault(name) : _few is { } few ? FindFew(few, name) : _lazy!.Find(name);

    string IReadOnlyDictionary<string, string>.this[string key] => this[key] ?? throw new KeyNotFoundException(key);

    public int Count => _values?.Count ?? All.Count;
    public IEnumerable<string> Keys => All.Keys;
    public IEnumerable<string> Values => All.Values;
    public bool ContainsKey(string key) => this[key] is not null;

    public bool TryGetValue(string key, out string value)
    {
        value = this[key]!;
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => All.GetEnumerator();

    /// <summary>Enumeration needs every header: decode them all once (rare: logs and tests, not the hot path).</summary>
    private Dictionary<string, string> All => _values ?? LazyInitializer.EnsureInitialized(ref _values,
        () => _few is { } few ? new Dictionary<string, string>(few.Where(h => h.Key is not null), StringComparer.Ordinal) : _lazy!.Materialize());

    private static string? FindFew(KeyValuePair<string, string>[] few, string name)
    {
        foreach (var (key, value) in few)
        {
            if (key is null)
            {
                break;
            }
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return value;
            }
        }
        return null;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
