using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EslCallflow.Hosting;

/// <summary>
/// Runs the daemon to its end and turns how it ended into the exit code that systemd's <c>Restart=on-failure</c>
/// acts on: 0 only for a requested stop; 2 for settings or a callflow configuration it cannot start with (a
/// restart would not help, and the message says why); 1 when anything else stopped it, including a background
/// service that failed, which the host reports by stopping normally.
/// </summary>
public static class DaemonRunner
{
    public const int Stopped = 0;
    public const int Failed = 1;
    public const int InvalidSettings = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter error, CancellationToken cancellationToken = default)
    {
        IHost host;
        try
        {
            host = DaemonHost.CreateBuilder(args).Build();
        }
        catch (Exception ex) when (Invalid(ex) is { } failures)
        {
            return await InvalidAsync(error, failures).ConfigureAwait(false);
        }
        using (host)
        {
            return await RunAsync(host, error, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<int> RunAsync(IHost host, TextWriter error, CancellationToken cancellationToken = default)
    {
        try
        {
            // Not RunAsync: it disposes the host, and how the services ended is read from it afterwards.
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Invalid(ex) is { } failures)
        {
            return await InvalidAsync(error, failures).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"eslcallflow: stopped by an error: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return Failed;
        }
        var failed = host.Services.GetServices<IHostedService>().OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .ToList();
        foreach (var service in failed)
        {
            var reason = service.ExecuteTask!.Exception!.GetBaseException();
            await error.WriteLineAsync($"eslcallflow: {service.GetType().Name} failed ({reason.GetType().Name}: {reason.Message}) and stopped the daemon").ConfigureAwait(false);
        }
        return failed.Count > 0 ? Failed : Stopped;
    }

    private static IReadOnlyList<string>? Invalid(Exception ex) => ex switch
    {
        OptionsValidationException invalid => [.. invalid.Failures],
        AggregateException { InnerExceptions: var inner } when inner.All(e => e is OptionsValidationException) =>
            [.. inner.Cast<OptionsValidationException>().SelectMany(e => e.Failures)],
        _ => null,
    };

    private static async Task<int> InvalidAsync(TextWriter error, IReadOnlyList<string> failures)
    {
        await error.WriteLineAsync("eslcallflow: invalid settings, not starting:").ConfigureAwait(false);
        foreach (var failure in failures)
        {
            await error.WriteLineAsync("  " + failure).ConfigureAwait(false);
        }
        return InvalidSettings;
    }
}
