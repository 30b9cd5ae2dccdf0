namespace EslCallflow.Esl.Outbound;

/// <summary>
/// A dialplan application to run on the session's channel, with its argument (a <c>sendmsg execute</c>). Checked
/// when it is sent: the application is a lower-case name, the argument one line.
/// </summary>
public sealed record EslExecute(string Application, string? Argument = null)
{
    public override string ToString() => Argument is null ? Application : $"{Application} {Argument}";
}
