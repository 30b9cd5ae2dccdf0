using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// Immutable, ordered header collection with ordinal (case-sensitive, as FreeSWITCH is) lookup.
/// A repeated name keeps its last value, as FreeSWITCH's own event API does on lookup.
/// </summary>
/// <remarks>
/// Three forms, which frame gets which said by one table (<see cref="Messages.EslEventDecoder.FormOf"/>). Headers
/// decoded whole (a frame's header block, a plain or xml event) are <see cref="PackedHeaders"/>: their UTF-8 text in
/// one buffer, a value decoded when it is read. A whole json event is a <see cref="HeaderIndex"/> into its body, each
/// value decoded when it is read: packing it cost twice the time (BENCHMARKS.md, "Whole json events indexed again").
/// A selected event (<see cref="SelectedHeaders"/>) holds its dozen values already decoded, in one array: it pays for
/// itself on the daemon's inbound feed, where it allocates 0.5 KB per event against the 10 KB of a whole one
/// (BENCHMARKS.md, "ESL framing and decoding").
/// </remarks>
internal sealed class EslHeaders : IReadOnlyDictionary<string, string>
{
    public static readonly EslHeaders Empty = new(PackedHeaders.Pack([]));

    // A PackedHeaders or a HeaderIndex: one field for both, so that an EslHeaders is no larger than with one form.
    private readonly object? _whole;
    private readonly KeyValuePair<string, string>[]? _selected;
    private Dictionary<string, string>? _all;

    private EslHeaders(PackedHeaders packed) => _whole = packed;

    private EslHeaders(HeaderIndex indexed) => _whole = indexed;

    private EslHeaders(KeyValuePair<string, string>[] selected) => _selected = selected;

    /// <summary>Headers from name/value pairs, in order; a repeated name keeps its last value.</summary>
    public static EslHeaders From(IEnumerable<KeyValuePair<string, string>> pairs) => new(PackedHeaders.Pack([.. pairs]));

    internal static EslHeaders Packed(PackedHeaders packed) => new(packed);

    /// <summary>A whole json event's headers, indexed in its body (see <see cref="HeaderIndex"/>).</summary>
    internal static EslHeaders Indexed(HeaderIndex indexed) => new(indexed);

    /// <summary>
    /// A selected event's headers: one array searched in order, which for a dozen names is as fast as a dictionary
    /// and a third of the objects. Takes ownership of <paramref name="selected"/>; its unused tail is left empty
    /// (null names), so it can be sized for the most headers there could be.
    /// </summary>
    internal static EslHeaders Selected(KeyValuePair<string, string>[] selected) => new(selected);

    public string? this[string name] =>
        _whole is HeaderIndex indexed ? indexed.Find(name) : _whole is PackedHeaders packed ? packed.Find(name) : FindSelected(_selected!, name);

    string IReadOnlyDictionary<string, string>.this[string key] => this[key] ?? throw new KeyNotFoundException(key);

    public int Count => All.Count;
    public IEnumerable<string> Keys => All.Keys;
    public IEnumerable<string> Values => All.Values;
    public bool ContainsKey(string key) => this[key] is not null;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        value = this[key];
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => All.GetEnumerator();

    /// <summary>Enumeration needs every header: decode them all once (rare: logs and tests, not the hot path).</summary>
    private Dictionary<string, string> All => _all ?? LazyInitializer.EnsureInitialized(ref _all,
        () => _whole is HeaderIndex indexed ? indexed.Materialize()
            : _whole is PackedHeaders packed ? packed.Materialize()
            : new Dictionary<string, string>(_selected!.Where(h => h.Key is not null), StringComparer.Ordinal));

    private static string? FindSelected(KeyValuePair<string, string>[] selected, string name)
    {
        foreach (var (key, value) in selected)
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
