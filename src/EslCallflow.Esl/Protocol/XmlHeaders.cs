using System.Buffers;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// The walker for a text/event-xml body (switch_event_xmlize): <c>&lt;event&gt;&lt;headers&gt;</c> with one element
/// per header, its text url-encoded, then an optional <c>&lt;body&gt;</c>. Rare (the daemon never asks for xml), so it
/// parses the document first and walks its elements.
/// </summary>
internal static class XmlHeaders
{
    /// <summary>
    /// What an xml event may use: no DTD, so no entity can expand (a 524-byte "billion laughs" cost tens of MB through
    /// <see cref="XDocument.Parse(string)"/>, which parses DTDs) and nothing is fetched. FreeSWITCH's xml events
    /// never carry one (switch_event_xmlize builds the bare <c>&lt;event&gt;</c> element).
    /// </summary>
    private static readonly XmlReaderSettings SafeXml = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>Hands each header element to <paramref name="sink"/>, in order; returns the body element's text, if any.</summary>
    /// <exception cref="EslProtocolException">Not well-formed xml, or a DTD.</exception>
    public static string? Walk<TSink>(ReadOnlySpan<byte> xml, ref TSink sink) where TSink : struct, IHeaderSink
    {
        XDocument document;
        try
        {
            using var text = new StringReader(Encoding.UTF8.GetString(xml));
            using var reader = XmlReader.Create(text, SafeXml);
            document = XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            throw new EslProtocolException($"invalid xml event: {ex.Message}", ex);
        }
        // Each header's name and (still url-encoded) value, as UTF-8 in one reused buffer: what a form reads from.
        var buffer = new ArrayBufferWriter<byte>(256);
        foreach (var element in document.Root?.Element("headers")?.Elements() ?? [])
        {
            buffer.ResetWrittenCount();
            var name = element.Name.LocalName;
            var value = element.Value;
            var nameLength = (int)Encoding.UTF8.GetBytes(name, buffer);
            var valueLength = (int)Encoding.UTF8.GetBytes(value, buffer);
            var encoding = value.Contains('%', StringComparison.Ordinal) ? WireEncoding.Percent : WireEncoding.Verbatim;
            sink.Add(buffer.WrittenSpan, new WireHeader(0, nameLength, nameLength, valueLength, false, encoding));
        }
        return document.Root?.Element("body")?.Value;
    }
}
