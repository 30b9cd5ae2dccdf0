using System.Text;

namespace EslCallflow.Testing.FreeSwitchModel;

/// <summary>
/// A C string buffer for the FreeSWITCH parsing model: the parsers cut strings in place (a delimiter becomes
/// NUL, unquoting copies characters left), and later steps read what earlier ones left behind, so the model
/// keeps one mutable buffer and uses indices as pointers. Reads past the end see NUL: create_brackets can
/// step one past a terminator.
/// </summary>
internal sealed class CBuffer
{
    private readonly char[] _chars;

    public CBuffer(string text)
    {
        var nul = text.IndexOf('\0');
        var content = nul >= 0 ? text[..nul] : text;
        _chars = new char[content.Length + 2];
        content.CopyTo(_chars);
    }

    public char this[int index]
    {
        get => index >= 0 && index < _chars.Length ? _chars[index] : '\0';
        set => _chars[index] = value;
    }

    /// <summary>strlen(p)</summary>
    public int Length(int p)
    {
        var end = p;
        while (this[end] != '\0')
        {
            end++;
        }
        return end - p;
    }

    /// <summary>The C string at <paramref name="p"/>.</summary>
    public string Str(int p) => new(_chars, p, Length(p));

    /// <summary>strchr(p, c) for c != NUL: index or -1.</summary>
    public int Strchr(int p, char c)
    {
        for (; this[p] != '\0'; p++)
        {
            if (this[p] == c)
            {
                return p;
            }
        }
        return -1;
    }

    /// <summary>strstr(p, needle): index or -1.</summary>
    public int Strstr(int p, string needle)
    {
        var text = Str(p);
        var at = text.IndexOf(needle, StringComparison.Ordinal);
        return at < 0 ? -1 : p + at;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var c in _chars)
        {
            text.Append(c == '\0' ? "\\0" : c.ToString());
        }
        return text.ToString();
    }
}
