namespace EslCallflow.Testing.FreeSwitchModel;

/// <summary>
/// A SWITCH_EVENT_CHANNEL_DATA event as a list of variables, with what switch_event.c
/// <c>switch_event_base_add_header</c> does on add: such events carry EF_UNIQ_HEADERS (<c>switch_event_create_subclass_detailed</c>),
/// so a name added again replaces the old one (removed, the new one appended); an empty value deletes the
/// name; a value starting with <c>ARRAY::</c> becomes an array (<c>switch_event_add_array</c>, elements split on
/// <c>|:</c>) whose value reads back as its only element, or <c>ARRAY::a|:b</c> for several. Names compare
/// case-insensitively, as event headers do.
/// </summary>
public sealed class VarEvent
{
    private readonly List<Header> _headers = [];

    public IReadOnlyList<KeyValuePair<string, string>> Entries => _headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).ToList();

    public string? Get(string name) => _headers.Find(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;

    public void Add(string name, string value)
    {
        if (value.Length == 0)
        {
            Delete(name);
            return;
        }
        Delete(name);
        if (value.StartsWith("ARRAY::", StringComparison.Ordinal))
        {
            AddArray(name, value);
            return;
        }
        _headers.Add(new Header(name) { Elements = { value } });
    }

    public void Delete(string name) => _headers.RemoveAll(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public VarEvent Copy()
    {
        var copy = new VarEvent();
        foreach (var header in _headers)
        {
            var h = new Header(header.Name);
            h.Elements.AddRange(header.Elements);
            copy._headers.Add(h);
        }
        return copy;
    }

    /// <summary>switch_event.c <c>switch_event_add_array</c>: fewer than 8 characters adds nothing; each element is pushed.</summary>
    private void AddArray(string name, string value)
    {
        if (value.Length < 8)
        {
            return;
        }
        foreach (var element in value[7..].Split("|:"))
        {
            Push(name, element);
        }
    }

    /// <summary>SWITCH_STACK_PUSH: a new header from an empty element is dropped; later empty elements are kept.</summary>
    private void Push(string name, string element)
    {
        var existing = _headers.Find(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (existing is null)
        {
            if (element.Length == 0)
            {
                return;
            }
            if (element.StartsWith("ARRAY::", StringComparison.Ordinal))
            {
                AddArray(name, element);
                return;
            }
            _headers.Add(new Header(name) { Elements = { element } });
            return;
        }
        existing.Elements.Add(element);
    }

    private sealed class Header(string name)
    {
        public string Name { get; } = name;
        public List<string> Elements { get; } = [];
        public string Value => Elements.Count > 1 ? "ARRAY::" + string.Join("|:", Elements) : Elements[0];
    }
}
