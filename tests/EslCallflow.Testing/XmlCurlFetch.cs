using System.Net.Http.Headers;
using System.Text;

namespace EslCallflow.Testing;

/// <summary>What a dialplan fetch got back: the HTTP status and the document (empty for a refused fetch).</summary>
public sealed record XmlCurlResponse(int Status, string Body);

/// <summary>
/// mod_xml_curl's dialplan fetch as FreeSWITCH 1.10.12 makes it (Transcripts/xmlcurl-dialplan-fetches.txt, a real
/// capture): a POST of <c>application/x-www-form-urlencoded</c> with <c>User-Agent: freeswitch-xml/1.0</c>, the
/// binding's credentials as basic authentication, and the body the capture holds, every field in its place, with
/// the fields of the call at hand in place of the captured call's. The fields and their order come from
/// mod_xml_curl.c <c>xml_url_fetch</c> (hostname, section, tag_name, key_name, key_value) and switch_event.c
/// <c>switch_event_build_param_string</c> (the channel's data and variables, then the hunted profile as
/// <c>Hunt-*</c>); names as they are, values through <c>switch_url_encode</c> (<see cref="Encode"/>).
/// </summary>
public static class XmlCurlFetch
{
    private static readonly Lazy<List<KeyValuePair<string, string>>> Captured = new(() => ParseForm(CapturedRequest(1).Body));

    /// <summary>What mod_xml_curl.c <c>xml_url_fetch</c> writes before the event's headers, always.</summary>
    private static readonly string[] Prefix = ["hostname", "section", "tag_name", "key_name", "key_value"];

    /// <summary>
    /// The headers the repository's freeswitch-conf binding posts (its <c>enable-post-var</c> params: with any,
    /// switch_event_build_param_string posts only those, in the event's order); null when it lists none.
    /// </summary>
    public static IReadOnlySet<string>? ShippedPostVars => ShippedPostVarsLazy.Value;

    private static readonly Lazy<IReadOnlySet<string>?> ShippedPostVarsLazy = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var binding = Path.Combine(dir.FullName, "freeswitch-conf", "autoload_configs", "xml_curl.conf.xml");
            if (File.Exists(binding))
            {
                var names = System.Xml.Linq.XDocument.Load(binding).Descendants("param")
                    .Where(p => (string?)p.Attribute("name") == "enable-post-var").Select(p => (string)p.Attribute("value")!).ToHashSet(StringComparer.Ordinal);
                return names.Count == 0 ? null : names;
            }
        }
        return null;
    });

    /// <summary>switch_utils.h <c>SWITCH_URL_UNSAFE</c>.</summary>
    private const string UrlUnsafe = "\r\n #%&+:;<=>?@[\\]^`{|}\"";

    /// <summary>The <paramref name="index"/>-th request of the capture (1-based): its head and its form body.</summary>
    public static (string Head, string Body) CapturedRequest(int index)
    {
        var request = Transcript.Load("xmlcurl-dialplan-fetches.txt").Where(c => c.Direction == TranscriptDirection.Sent).ElementAt(index - 1).Text;
        var split = request.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (request[..split], request[(split + 4)..]);
    }

    /// <summary>A form body's fields in order, decoded.</summary>
    public static List<KeyValuePair<string, string>> ParseForm(string body) =>
        [.. body.Split('&').Select(pair => pair.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], Uri.UnescapeDataString(p.Length > 1 ? p[1] : "")))];

    /// <summary>
    /// The form for a channel: the captured fetch with <paramref name="fields"/> replacing the fields of that name
    /// (profile fields are given once as <c>Caller-X</c> and written as <c>Caller-X</c> and <c>Hunt-X</c>), the
    /// captured call's own variables left as captured, and <paramref name="variables"/> (the channel's variables
    /// now) as <c>variable_*</c>, replacing or added before the <c>Hunt-*</c> block as FreeSWITCH orders them.
    /// </summary>
    /// <param name="without">Fields of the capture to leave out (a call from a gateway has no <c>variable_sip_auth_username</c>).</param>
    /// <param name="posted">The binding's <c>enable-post-var</c> names: only those headers are posted (null: all).</param>
    public static string Form(IReadOnlyDictionary<string, string> fields, IReadOnlyDictionary<string, string> variables, IReadOnlySet<string>? without = null, IReadOnlySet<string>? posted = null)
    {
        var form = new List<KeyValuePair<string, string>>(Captured.Value.Count + variables.Count);
        var pending = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in variables)
        {
            pending["variable_" + name] = value;
        }
        var huntStarted = false;
        foreach (var (name, value) in Captured.Value)
        {
            if (!huntStarted && name.StartsWith("Hunt-", StringComparison.Ordinal))
            {
                huntStarted = true;
                form.AddRange(pending);
                pending.Clear();
            }
            var profileName = name.StartsWith("Hunt-", StringComparison.Ordinal) ? "Caller-" + name["Hunt-".Length..] : name;
            if (without?.Contains(name) == true)
            {
                continue;
            }
            if (fields.TryGetValue(profileName, out var replaced) || fields.TryGetValue(name, out replaced))
            {
                form.Add(new(name, replaced));
            }
            else if (pending.Remove(name, out var variable))
            {
                form.Add(new(name, variable));
            }
            else
            {
                form.Add(new(name, value));
            }
        }
        form.AddRange(pending);
        return string.Join('&', form.Where(f => posted is null || Prefix.Contains(f.Key) || posted.Contains(f.Key)).Select(f => f.Key + "=" + Encode(f.Value)));
    }

    /// <summary>
    /// switch_utils.c <c>switch_url_encode_opt</c> without double encoding: bytes below ' ' or above '~' and the
    /// unsafe set as %XX, except a '%' already followed by two hex digits.
    /// </summary>
    public static string Encode(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var encoded = new StringBuilder(bytes.Length + 16);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            var keptPercent = b == '%' && i + 2 < bytes.Length && Uri.IsHexDigit((char)bytes[i + 1]) && Uri.IsHexDigit((char)bytes[i + 2]);
            if (!keptPercent && (b < ' ' || b > '~' || UrlUnsafe.Contains((char)b, StringComparison.Ordinal)))
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                encoded.Append((char)b);
            }
        }
        return encoded.ToString();
    }

    /// <summary>Posts one fetch as mod_xml_curl does; credentials as the binding's <c>gateway-credentials</c>.</summary>
    public static async Task<XmlCurlResponse> PostAsync(HttpClient http, Uri url, string form, (string User, string Password)? credentials = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(form, Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Content.Headers.ContentType!.CharSet = null;
        request.Headers.UserAgent.ParseAdd("freeswitch-xml/1.0");
        request.Headers.Accept.ParseAdd("*/*");
        if (credentials is var (user, password))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        }
        using var response = await http.SendAsync(request, cancellationToken);
        return new XmlCurlResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }
}
