using System.Buffers;
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
    public static EslEvent DecodePlain(ReadOnlySpan<byte> body) => DecodePlain(body, null);

    private static EslEvent DecodePlain(ReadOnlySpan<byte> body, HeaderSelection? selection)
    {
        var headers = EslFrameParser.ParseHeaderBlock(body, out var rest, selection);
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

    /// <summary>
    /// An event frame still in the socket buffer, decoded down to the headers in <paramref name="selection"/>
    /// (and the body): nothing else of it is kept, or even turned into a string. Json and plain; xml (rare,
    /// and never what the daemon subscribes in) is decoded whole.
    /// </summary>
    internal static EslEvent DecodeSelected(EslContentType type, ReadOnlySequence<byte> body, HeaderSelection selection)
    {
        if (body.IsSingleSegment)
        {
            return DecodeSelected(type, body.FirstSpan, selection);
        }
        var length = (int)body.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            body.CopyTo(rented);
            return DecodeSelected(type, rented.AsSpan(0, length), selection);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static EslEvent DecodeSelected(EslContentType type, ReadOnlySpan<byte> body, HeaderSelection selection) => type switch
    {
        EslContentType.EventJson => DecodeJsonSelected(body, selection),
        EslContentType.EventPlain => DecodePlain(body, selection),
        EslContentType.EventXml => DecodeXml(body),
        _ => throw new ArgumentException($"{type} is not an event frame", nameof(type)),
    };

    private static EslEvent DecodeJsonSelected(ReadOnlySpan<byte> body, HeaderSelection selection)
    {
        var headers = new FewHeaders(selection.Count);
        var eventBody = ReadJsonMembers(body, selection, ref headers);
        return new EslEvent(EslHeaders.Few(headers.Pairs), eventBody);
    }

    private static EslEvent DecodeJsonEagerly(ReadOnlySpan<byte> body)
    {
        var headers = new AllHeaders(new Dictionary<string, string>(96, StringComparer.Ordinal));
        var eventBody = ReadJsonMembers(body, null, ref headers);
        return new EslEvent(EslHeaders.Wrap(headers.Values), eventBody);
    }

    /// <summary>
    /// Walks a json event object: every header (or only <paramref name="selection"/>'s) goes to
    /// <paramref name="headers"/>, in order; returns the <c>_body</c> member, if any.
    /// </summary>
    private static string? ReadJsonMembers<THeaders>(ReadOnlySpan<byte> body, HeaderSelection? selection, ref THeaders headers)
        where THeaders : struct, IHeaderSink
    {
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
                var name = selection is null ? JsonStrings.Decode(reader.ValueSpan) : SelectedName(ref reader, selection);
                reader.Read();
                if (name is null)
                {
                    reader.Skip();
                    continue;
                }
                var value = selection is not null && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
                    ? selection.Value(reader.ValueSpan)
                    : ReadValue(ref reader, body);
                if (name == "_body")
                {
                    eventBody = value;
                }
                else
                {
                    headers.Add(name, value);
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
        return eventBody;
    }

    private interface IHeaderSink
    {
        /// <summary>A repeated name keeps its last value, as FreeSWITCH's own lookup does.</summary>
        void Add(string name, string value);
    }

    private readonly struct AllHeaders(Dictionary<string, string> values) : IHeaderSink
    {
        public Dictionary<string, string> Values => values;

        public void Add(string name, string value) => values[name] = value;
    }

    /// <summary>At most one entry per selected name; the names are the selection's own strings.</summary>
    private struct FewHeaders(int capacity) : IHeaderSink
    {
        private int _count;

        public KeyValuePair<string, string>[] Pairs { get; } = new KeyValuePair<string, string>[capacity];

        public void Add(string name, string value)
        {
            var at = 0;
            while (at < _count && !ReferenceEquals(Pairs[at].Key, name))
            {
                at++;
            }
            Pairs[at] = new KeyValuePair<string, string>(name, value);
            _count = Math.Max(_count, at + 1);
        }
    }

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

    public static EslEvent DecodeXml(ReadOnlySpan<byte> body)
    {
        try
        {
            using var text = new StringReader(Encoding.UTF8.GetString(body));
            using var xml = XmlReader.Create(text, SafeXml);
            var doc = XDocument.Load(xml);
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

    /// <summary>The selection's name for the property under the reader, "_body", or null for a header not wanted.</summary>
    private static string? SelectedName(ref Utf8JsonReader reader, HeaderSelection selection)
    {
        if (reader.ValueIsEscaped)
        {
            var unescaped = JsonStrings.Decode(reader.ValueSpan);
            return unescaped == "_body" ? unescaped : selection.Match(Encoding.UTF8.GetBytes(unescaped));
        }
        return selection.Match(reader.ValueSpan) ?? (reader.ValueSpan.SequenceEqual("_body"u8) ? "_body" : null);
    }

    private static string ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                // Not reader.GetString(): it throws on invalid UTF-8, which FreeSWITCH passes through (see JsonStrings).
                return JsonStrings.Decode(reader.ValueSpan);
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
