using System.Text;

namespace EslCallflow.Testing;

/// <summary>
/// How FreeSWITCH's originate reads a bridge argument, modelled for tests: a leading {..} block of global
/// variables, legs split on ',' or '|' outside quotes and brackets, each leg with an optional [..] block
/// whose delimiter may be changed with ^^X, values optionally single-quoted with \' escapes.
/// </summary>
public sealed record ParsedLeg(IReadOnlyDictionary<string, string> Variables, string Endpoint);

public sealed record ParsedDialString(IReadOnlyDictionary<string, string> Globals, char? Separator, IReadOnlyList<ParsedLeg> Legs);

public static class FreeSwitchDialString
{
    public static ParsedDialString Parse(string text)
    {
        var globals = new Dictionary<string, string>();
        var rest = text;
        if (rest.StartsWith('{'))
        {
            var end = BlockEnd(rest, '{', '}');
            globals = Variables(rest[1..end]);
            rest = rest[(end + 1)..];
        }
        var (parts, separator) = SplitLegs(rest);
        var legs = parts.Select(part =>
        {
            if (!part.StartsWith('['))
            {
                return new ParsedLeg(new Dictionary<string, string>(), part);
            }
            var end = BlockEnd(part, '[', ']');
            return new ParsedLeg(Variables(part[1..end]), part[(end + 1)..]);
        }).ToList();
        return new ParsedDialString(globals, separator, legs);
    }

    private static int BlockEnd(string text, char open, char close)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == '\\' && quoted)
            {
                i++;
            }
            else if (text[i] == '\'')
            {
                quoted = !quoted;
            }
            else if (text[i] == close && !quoted)
            {
                return i;
            }
            else if (text[i] == open && !quoted)
            {
                throw new FormatException($"nested '{open}' at {i}");
            }
        }
        throw new FormatException($"no closing '{close}'");
    }

    private static (List<string> Parts, char? Separator) SplitLegs(string text)
    {
        var parts = new List<string>();
        char? separator = null;
        var current = new StringBuilder();
        var quoted = false;
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && quoted && i + 1 < text.Length)
            {
                current.Append(c).Append(text[++i]);
                continue;
            }
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '[')
            {
                depth++;
            }
            else if (!quoted && c == ']')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c is ',' or '|')
            {
                if (separator is not null && separator != c)
                {
                    throw new FormatException("mixed leg separators");
                }
                separator = c;
                parts.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        parts.Add(current.ToString());
        return (parts, separator);
    }

    private static Dictionary<string, string> Variables(string block)
    {
        var delimiter = ',';
        if (block.StartsWith("^^", StringComparison.Ordinal))
        {
            delimiter = block[2];
            block = block[3..];
        }
        var result = new Dictionary<string, string>();
        var current = new StringBuilder();
        var quoted = false;
        var pairs = new List<string>();
        for (var i = 0; i < block.Length; i++)
        {
            var c = block[i];
            if (c == '\\' && quoted && i + 1 < block.Length)
            {
                current.Append(block[++i]);
                continue;
            }
            if (c == '\'')
            {
                quoted = !quoted;
                continue;
            }
            if (c == delimiter && !quoted)
            {
                pairs.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        pairs.Add(current.ToString());
        foreach (var pair in pairs.Where(p => p.Length > 0))
        {
            var eq = pair.IndexOf('=');
            result[pair[..eq]] = pair[(eq + 1)..];
        }
        return result;
    }
}
