namespace EslCallflow.Esl;

public enum EslEventFormat
{
    Plain,
    Json,
    Xml,
}

internal static class EslEventFormatNames
{
    public static string ToWire(this EslEventFormat format) => format switch
    {
        EslEventFormat.Plain => "plain",
        EslEventFormat.Json => "json",
        EslEventFormat.Xml => "xml",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
