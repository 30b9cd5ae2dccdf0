using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>HTTP digest authentication as SIP uses it (RFC 2617, MD5 with qop=auth; RFC 3261 section 22.4).</summary>
public static class SipDigest
{
    /// <summary>The Authorization / Proxy-Authorization value answering <paramref name="challenge"/>.</summary>
    public static string Answer(string challenge, string method, string uri, string user, string password, int nonceCount = 1)
    {
        var p = SipHeader.DigestParameters(challenge);
        var realm = p.GetValueOrDefault("realm") ?? string.Empty;
        var nonce = p.GetValueOrDefault("nonce") ?? string.Empty;
        var ha1 = Md5($"{user}:{realm}:{password}");
        var ha2 = Md5($"{method}:{uri}");
        var text = new StringBuilder($"Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm=MD5");
        var qops = (p.GetValueOrDefault("qop") ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (qops.Contains("auth", StringComparer.OrdinalIgnoreCase))
        {
            var nc = nonceCount.ToString("x8", CultureInfo.InvariantCulture);
            var cnonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
            var response = Md5($"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}");
            text.Append($", response=\"{response}\", qop=auth, nc={nc}, cnonce=\"{cnonce}\"");
        }
        else
        {
            text.Append($", response=\"{Md5($"{ha1}:{nonce}:{ha2}")}\"");
        }
        if (p.TryGetValue("opaque", out var opaque))
        {
            text.Append($", opaque=\"{opaque}\"");
        }
        return text.ToString();
    }

    // MD5 is what SIP digest authentication is defined with, and what FreeSWITCH challenges with.
#pragma warning disable CA5351
    private static string Md5(string text) => Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
#pragma warning restore CA5351
}
