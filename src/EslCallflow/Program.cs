using EslCallflow.Cli;
using EslCallflow.Hosting;

if (args.Length > 0 && args[0] == HealthCommand.Verb)
{
    return await HealthCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
}

if (args.Length > 0 && CliCommands.IsCommand(args[0]))
{
    return CliCommands.Run(args, Console.Out, Console.Error);
}

return await DaemonRunner.RunAsync(args, Console.Error).ConfigureAwait(false);
