namespace EslCallflow.Cli;

/// <summary>
/// <c>health [url]</c>: asks a running daemon's /healthz (default: ESLCALLFLOW_Http__Url, else
/// http://127.0.0.1:8088) and exits 0 when healthy, 1 otherwise. The container HEALTHCHECK uses it, as
/// the runtime image has no curl.
/// </summary>
public static class HealthCommand
{
    public const string Verb = "health";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var url = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable("ESLCALLFLOW_Http__Url") ?? "http://127.0.0.1:8088";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri))
        {
            await error.WriteLineAsync($"health: '{url}' is not a URL").ConfigureAwait(false);
            return 1;
        }
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri(baseUri, "/healthz")).ConfigureAwait(false);
            await output.WriteLineAsync(await response.Content.ReadAsStringAsync().ConfigureAwait(false)).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await error.WriteLineAsync($"health: {baseUri} did not answer: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
