using System.Text.RegularExpressions;

namespace EslCallflow.Callflows.Loading;

/// <summary>
/// What may reach a FreeSWITCH dial string or command. Ids and SIP identities get strict character sets;
/// free text (names, caller ids, ringtones) is quoted later but must not hold what quoting cannot neutralise:
/// control characters, brackets and braces (they end a variable block), <c>${</c> (variable and API expansion)
/// and <c>:_:</c> (FreeSWITCH's enterprise-originate separator).
/// </summary>
public static partial class SafeText
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.@+\-]{0,127}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.+\-]{1,64}$")]
    private static partial Regex SipUserPattern();

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,252})(?::[0-9]{1,5})?$")]
    private static partial Regex RealmPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_./@:+=;\-]{1,256}$")]
    private static partial Regex EndpointPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_+*#.\-]{1,64}$")]
    private static partial Regex ExtensionPattern();

    [GeneratedRegex(@"^%\(\d+,\d+(,\d+)+\)$")]
    private static partial Regex TgmlTonePattern();

    public static string? CheckId(string value) => IdPattern().IsMatch(value)
        ? null
        : "must be 1 to 128 characters of letters, digits and _ . @ + - (starting with a letter or digit)";

    public static string? CheckSipUser(string value) => SipUserPattern().IsMatch(value) ? null : "is not a valid SIP username (letters, digits, _ . + -)";

    public static string? CheckRealm(string value) => RealmPattern().IsMatch(value) ? null : "is not a valid SIP realm (a host name or address, optional :port)";

    public static string? CheckEndpoint(string value) => EndpointPattern().IsMatch(value) && !value.Contains(":_:", StringComparison.Ordinal)
        ? null
        : "is not a single FreeSWITCH endpoint (no spaces, commas, pipes, brackets, braces or quotes)";

    public static string? CheckExtension(string value) => ExtensionPattern().IsMatch(value) ? null : "must be digits, letters or _ + * # . -";

    /// <summary>Free text that will be single-quoted into a dial string.</summary>
    public static string? CheckQuotable(string value)
    {
        if (value.Length > 256)
        {
            return "is longer than 256 characters";
        }
        if (value.Contains("${", StringComparison.Ordinal) || value.Contains("$${", StringComparison.Ordinal))
        {
            return "must not contain '${' (FreeSWITCH would expand it)";
        }
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return "must not contain control characters (newline, tab, NUL)";
            }
            if (c is '[' or ']' or '{' or '}' or '\\')
            {
                return $"must not contain '{c}'";
            }
        }
        if (value.Contains(":_:", StringComparison.Ordinal))
        {
            return "must not contain ':_:'";
        }
        return null;
    }

    /// <summary>Media or ringback: a TGML tone, a tone/silence/local stream, a file path or an http(s) URL.</summary>
    public static string? CheckMedia(string value, bool allowFilePath = true)
    {
        if (CheckQuotable(value) is { } bad)
        {
            return bad;
        }
        if (value.Contains(' ', StringComparison.Ordinal) && !value.StartsWith('%'))
        {
            return "must not contain spaces";
        }
        var ok = TgmlTonePattern().IsMatch(value)
            || value.StartsWith("tone_stream://", StringComparison.Ordinal)
            || value.StartsWith("silence_stream://", StringComparison.Ordinal)
            || value.StartsWith("local_stream://", StringComparison.Ordinal)
            || value.StartsWith("http://", StringComparison.Ordinal)
            || value.StartsWith("https://", StringComparison.Ordinal)
            || (allowFilePath && value.StartsWith('/') && value.Length > 1);
        return ok ? null : "must be a TGML tone like %(2000,4000,440,480), tone_stream://, silence_stream://, local_stream://, an absolute file path or an http(s) URL";
    }
}
