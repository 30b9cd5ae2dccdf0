using System.Text.RegularExpressions;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Callflows.Loading;

/// <summary>
/// What may reach a FreeSWITCH dial string or command. Ids and SIP identities get strict character sets (they are
/// endpoints and lookup keys); free text is encoded later so that FreeSWITCH reads it exactly, and only what no
/// encoding can carry is refused here (<see cref="ChannelValue"/>).
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

    /// <summary>
    /// Free text (names, caller id names, response messages): the dial string and the command arguments carry any
    /// text exactly (see RingGroups.DialString and FreeSwitch.AppArgument) except what
    /// <see cref="ChannelValue.Problem"/> names.
    /// </summary>
    public static string? CheckText(string value)
    {
        if (value.Length > 256)
        {
            return "is longer than 256 characters";
        }
        return ChannelValue.Problem(value);
    }

    /// <summary>A device or ring group ringtone: free text in one of the forms <see cref="AlertInfo"/> turns into a header.</summary>
    public static string? CheckRingtone(string value) => CheckText(value) ?? AlertInfo.Check(value);

    /// <summary>Media or ringback: a TGML tone, a tone/silence/local stream, a file path or an http(s) URL.</summary>
    public static string? CheckMedia(string value, bool allowFilePath = true)
    {
        if (CheckText(value) is { } bad)
        {
            return bad;
        }
        // A file name is read further (switch_core_file.c switch_core_perform_file_open takes a leading {...} as
        // file parameters), so media keeps to plain paths, streams and URLs.
        foreach (var c in value)
        {
            if (c is '[' or ']' or '{' or '}' or '\\')
            {
                return $"must not contain '{c}'";
            }
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
