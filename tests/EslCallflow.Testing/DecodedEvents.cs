using System.Buffers;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Testing;

/// <summary>
/// Events decoded from their bytes exactly as a connection decodes them off the socket (the library's decoder is
/// internal): for tests that feed captured or crafted events to whatever reads them.
/// </summary>
public static class DecodedEvents
{
    /// <summary>A text/event-json body, decoded whole.</summary>
    public static EslEvent Json(ReadOnlySpan<byte> body) => Whole(EslContentType.EventJson, body);

    /// <summary>A text/event-plain body, decoded whole.</summary>
    public static EslEvent Plain(ReadOnlySpan<byte> body) => Whole(EslContentType.EventPlain, body);

    /// <summary>A text/event-xml body, decoded whole.</summary>
    public static EslEvent Xml(ReadOnlySpan<byte> body) => Whole(EslContentType.EventXml, body);

    private static EslEvent Whole(EslContentType type, ReadOnlySpan<byte> body) =>
        EslEventDecoder.Decode(type, new ReadOnlySequence<byte>(body.ToArray()), selection: null);
}
