namespace EslCallflow.Esl;

/// <summary>Guards for text that goes onto the wire as one header or command line.</summary>
internal static class EslCommandText
{
    /// <summary>A CR or LF would end the line early and let the rest be read as a new header or command.</summary>
    public static void EnsureSingleLine(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("ESL command text must not contain CR or LF", paramName);
        }
    }
}
