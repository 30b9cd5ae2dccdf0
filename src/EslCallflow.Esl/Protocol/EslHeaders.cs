using System.Collections;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// Immutable, ordered header collection with ordinal (case-sensitive, as FreeSWITCH is) lookup.
/// A repeated name keeps its last value, as FreeSWITCH's own event API does on lookup.
/// </summary>
public sealed class EslHeaders : IReadOnlyDictionary<string, string>
{
    public static readonly EslHeaders Empty = new(new Dictionary<string, string>(0, StringComparer.Ordinal));

    private readonly Dictionary<string, string> _values;

    private EslHeaders(Dictionary<string, string> values) => _values = values;

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

    public string? this[string name] => _values.GetValueOrDefault(name);

    string IReadOnlyDictionary<string, string>.this[string key] => _values[key];

    public int Count => _values.Count;
    public IEnumerable<string> Keys => _values.Keys;
    public IEnumerable<string> Values => _values.Values;
    public bool ContainsKey(string key) => _values.ContainsKey(key);
    public bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _values.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
