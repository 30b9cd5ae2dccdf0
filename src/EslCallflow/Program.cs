using EslCallflow.Cli;
using EslCallflow.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

if (args.Length > 0 && args[0] == HealthCommand.Verb)
{
    return await HealthCommand.RunAsync(args, Console.Out, Console.Error);
}

if (args.Length > 0 && CliCommands.IsCommand(args[0]))
{
    return CliCommands.Run(args, Console.Out, Console.Error);
}

try
{
    using var host = DaemonHost.CreateBuilder(args).Build();
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    await Console.Error.WriteLineAsync("eslcallflow: invalid settings, not starting:");
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync("  " + failure);
    }
    return 2;
}
