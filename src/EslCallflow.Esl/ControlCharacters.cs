using System.Buffers;
using System.Globalization;
using System.Text;

namespace EslCallflow.Esl;

/// <summary>
/// Makes text that came from the wire safe to put in a log line: control characters become visible escapes, so a
/// <c>%0A</c> in a Unique-ID cannot start a forged line and an ESC cannot drive the operator's terminal. Escaped:
/// C0 (NUL, CR, LF, ESC, ...), DEL, C1, the Unicode line and paragraph separators, and the bidirectional controls
/// that reorder what a reader sees. Everything else, including backslashes, is left as it was.
/// </summary>
public static class ControlCharacters
{
    private static readonly SearchValues<char> Escaped = SearchValues.Create(BuildEscaped());

    /// <summary>True when <paramref name="text"/> holds a character <see cref="Escape"/> would change.</summary>
    public static bool Contains(ReadOnlySpan<char> text) => text.ContainsAny(Escaped);

    /// <summary><paramref name="text"/> with <c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\0</c>, <c>\xHH</c> or <c>\uHHHH</c> for each control character; the same instance when there is none.</summary>
    public static string Escape(string text)
    {
        var first = text.AsSpan().IndexOfAny(Escaped);
        if (first < 0)
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (!Escaped.Contains(c))
            {
                escaped.Append(c);
                continue;
            }
            switch (c)
            {
                case '\n': escaped.Append("\\n"); break;
                case '\r': escaped.Append("\\r"); break;
                case '\t': escaped.Append("\\t"); break;
                case '\0': escaped.Append("\\0"); break;
                case < '\u0100': escaped.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture)); break;
                default: escaped.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)); break;
            }
        }
        return escaped.ToString();
    }

    private static string BuildEscaped()
    {
        var set = new StringBuilder();
        for (var c = '\0'; c < ' '; c++)
        {
            set.Append(c);
        }
        for (var c = '\u007F'; c <= '\u009F'; c++)
        {
            set.Append(c);
        }
        // Line and paragraph separators; left-to-right/right-to-left marks, embeddings, overrides and isolates.
        return set.Append("\u2028\u2029\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069").ToString();
    }
}
