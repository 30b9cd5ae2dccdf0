using System.Security.Cryptography;
using System.Text;

namespace EslCallflow.Delivery;

/// <summary>
/// The <c>X-Eslcallflow-Signature</c> header: <c>sha256=</c> and the lowercase hex HMAC-SHA256 of the exact body
/// bytes under the hook's secret (as GitHub's <c>X-Hub-Signature-256</c>). A receiver computes the same and compares
/// in constant time.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Eslcallflow-Signature";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(header));
}
