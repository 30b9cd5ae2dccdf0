using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Messages;

/// <summary>Turns a text/event-* frame into an <see cref="EslEvent"/>.</summary>
public static class EslEventDecoder
{
    public static bool IsEvent(EslContentType type) =>
        type is EslContentType.EventPlain or EslContentType.EventJson or EslContentType.EventXml;

    public static EslEvent Decode(EslFrame frame) => frame.ContentType switch
    {
        EslContentType.EventPlain => DecodePlain(frame.Body.Span),
        EslContentType.EventJson => DecodeJson(frame.Body),
        EslContentType.EventXml => DecodeXml(frame.Body.Span),
        _ => throw new ArgumentException($"{frame.ContentType} is not an event frame", nameof(frame)),
    };

    /// <summary>Builds an event from the headers of a frame itself (the outbound <c>connect</c> reply carries the channel data that way).</summary>
    public static EslEvent FromFrameHeaders(EslFrame frame) => new(frame.Headers);

    /// <summary>
    /// Plain: url-encoded <c>Name: value</c> lines; when they hold a Content-Length, the event body
    /// follows the blank line (BACKGROUND_JOB results).
    /// </summary>
    public static EslEvent DecodePlain(ReadOnlySpan<byte> body)
    {
        var headers = EslFrameParser.ParseHeaderBlock(body, out var rest);
        string? eventBody = null;
        if (headers.TryGetValue("Content-Length", out var lengthText))
        {
            if (!int.TryParse(lengthText, out var length) || length < 0 || length > rest.Length)
            {
                throw new EslProtocolException($"event body Content-Length '{lengthText}' does not fit the {rest.Length} bytes left");
            }
            eventBody = Encoding.UTF8.GetString(rest[..length]);
        }
        return new EslEvent(EslHeaders.Wrap(headers), eventBody);
    }

    /// <summary>Json: headers are indexed now and decoded when read; the event keeps <paramref name="body"/>, which must not change.</summary>
    public static EslEvent DecodeJson(ReadOnlyMemory<byte> body)
    {
        try
        {
            if (HeaderIndex.FromJson(body, out var eventBody, out var endedCleanly) is { } index)
            {
                if (!endedCleanly)
                {
                    throw new EslProtocolException("json event ends before its closing brace");
                }
                return new EslEvent(EslHeaders.Lazy(index), eventBody);
            }
        }
        catch (JsonException ex)
        {
            throw new EslProtocolException($"invalid json event: {ex.Message}", ex);
        }
        catch (FormatException ex)
        {
            throw new EslProtocolException(ex.Message, ex);
        }
        return DecodeJsonEagerly(body.Span);
    }

    private static EslEvent DecodeJsonEagerly(ReadOnlySpan<byte> body)
    {
        var headers = new Dictionary<string, string>(96, StringComparer.Ordinal);
        string? eventBody = null;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new EslProtocolException("json event is not an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var value = ReadValue(ref reader, body);
                if (name == "_body")
                {
                    eventBody = value;
                }
                else
                {
                    headers[name] = value;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new EslProtocolException("json event ends before its closing brace");
            }
        }
        catch (JsonException ex)
        {
            throw new EslProtocolException($"invalid json event: {ex.Message}", ex);
        }
        return new EslEvent(EslHeaders.Wrap(headers), eventBody);
    }

    public static EslEvent DecodeXml(ReadOnlySpan<byte> body)
    {
        try
        {
            var doc = XDocument.Parse(Encoding.UTF8.GetString(body));
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var header in doc.Root?.Element("headers")?.Elements() ?? [])
            {
                headers[header.Name.LocalName] = PercentDecoding.Decode(header.Value);
            }
            var eventBody = doc.Root?.Element("body")?.Value;
            return new EslEvent(EslHeaders.Wrap(headers), eventBody);
        }
        catch (XmlException ex)
        {
            throw new EslProtocolException($"invalid xml event: {ex.Message}", ex);
        }
    }

    private static string ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.StartArray:
            case JsonTokenType.StartObject:
                // FreeSWITCH sends arrays for multi-valued headers; keep their json text.
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                return Encoding.UTF8.GetString(body[start..(int)reader.BytesConsumed]);
            default:
                return Encoding.UTF8.GetString(reader.ValueSpan);
        }
    }
}
