namespace EslCallflow.Esl;

/// <summary>Connecting or authenticating to FreeSWITCH failed.</summary>
public sealed class EslConnectException : Exception
{
    public EslConnectException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>FreeSWITCH answered a command with <c>-ERR</c>; <see cref="ReplyText"/> keeps its words.</summary>
public sealed class EslCommandException : Exception
{
    public EslCommandException(string command, string replyText)
        : base($"FreeSWITCH rejected '{ControlCharacters.Escape(command)}': {ControlCharacters.Escape(replyText)}")
    {
        Command = command;
        ReplyText = replyText;
    }

    public string Command { get; }
    public string ReplyText { get; }
}

/// <summary>The connection went away while work was pending; <see cref="Exception.InnerException"/> says why.</summary>
public sealed class EslConnectionClosedException : Exception
{
    public EslConnectionClosedException(string message, Exception? reason = null) : base(message, reason) { }
}

/// <summary>
/// The peer sent bytes that are not valid ESL, or too many. The connection is closed with this as its reason
/// (<see cref="EslSocket.Completion"/>); work pending on it fails with an <see cref="EslConnectionClosedException"/>
/// that holds it.
/// </summary>
internal sealed class EslProtocolException : Exception
{
    public EslProtocolException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The bytes were not wrong but too many: a header block or a body beyond <see cref="Protocol.EslFrameLimits"/>.</summary>
    public bool ExceedsLimit { get; init; }
}
