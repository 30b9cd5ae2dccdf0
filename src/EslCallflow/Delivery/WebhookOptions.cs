using System.Text.RegularExpressions;

namespace EslCallflow.Delivery;

/// <summary>
/// One webhook: where the events go, which ones, the secret their HMAC-SHA256 signature is made with, custom
/// data added to every body, and how patiently to deliver. The secret is never logged nor printed.
/// </summary>
public sealed partial class WebhookOptions
{
    /// <summary>Names the hook in logs, metrics (<c>destination</c>) and the spool folder: [A-Za-z0-9_-], 1 to 40.</summary>
    public string Name { get; set; } = string.Empty;

    public bool Enabled { get; set; } = true;

    /// <summary>http or https URL the events are POSTed to.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>The event types wanted (<see cref="CallEventType.All"/>); empty = all of them.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>HMAC-SHA256 key; at least 16 characters.</summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>Added to every body as <c>custom_data</c> (KAZOO's webhooks have the same).</summary>
    public Dictionary<string, string> CustomData { get; set; } = [];

    /// <summary>One attempt's limit.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries after a failed attempt (5xx, 408, 429, timeout, no connection), with exponential backoff.</summary>
    public int Retries { get; set; } = 5;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts; a hook still failing after its retries is tried again this often.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Events of different calls in flight at once (one call's events always go one after another).</summary>
    public int MaxConcurrency { get; set; } = 4;

    public bool Wants(string eventType) => Events.Count == 0 || Events.Contains(eventType, StringComparer.Ordinal);

    /// <summary>What is wrong with it; never mentions the secret's value.</summary>
    public IEnumerable<string> Problems()
    {
        if (!NamePattern().IsMatch(Name))
        {
            yield return "Name must be 1 to 40 of A-Z a-z 0-9 _ -";
        }
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return "Url must be an absolute http or https URL";
        }
        if (Secret.Length < 16)
        {
            yield return "Secret must be at least 16 characters";
        }
        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromMinutes(1))
        {
            yield return "Timeout must be between 00:00:00.100 and 00:01:00";
        }
        if (Retries is < 0 or > 20)
        {
            yield return "Retries must be between 0 and 20";
        }
        if (RetryDelay < TimeSpan.FromMilliseconds(10) || RetryDelay > MaxRetryDelay)
        {
            yield return "RetryDelay must be at least 00:00:00.010 and at most MaxRetryDelay";
        }
        if (MaxRetryDelay > TimeSpan.FromHours(1))
        {
            yield return "MaxRetryDelay must be at most 01:00:00";
        }
        if (MaxConcurrency is < 1 or > 64)
        {
            yield return "MaxConcurrency must be between 1 and 64";
        }
        foreach (var key in CustomData.Keys.Where(k => k.Length == 0))
        {
            yield return "CustomData keys must not be empty";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,40}$")]
    private static partial Regex NamePattern();
}
