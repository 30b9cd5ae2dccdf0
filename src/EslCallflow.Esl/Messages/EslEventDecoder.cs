using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Messages;

/// <summary>
/// Turns a text/event-* frame into an <see cref="EslEvent"/>. Two ways: whole, every header kept (json indexed in
/// its body, <see cref="HeaderIndex"/>; plain and xml packed, <see cref="PackedHeaders"/>), or selected, only the
/// headers a <see cref="HeaderSelection"/> names, decoded straight from the socket buffer.
/// </summary>
public static class EslEventDecoder
{
    public static bool IsEvent(EslContentType type) =>
        type is EslContentType.EventPlain or EslContentType.EventJson or EslContentType.EventXml;

    /// <summary>A json event keeps the frame's body (indexed, see <see cref="HeaderIndex"/>), as the frame itself does.</summary>
    public static EslEvent Decode(EslFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.ContentType == EslContentType.EventJson ? DecodeJsonOwned(frame.Body) : DecodeWhole(frame.ContentType, frame.Body.Span);
    }

    /// <summary>Builds an event from the headers of a frame itself (the outbound <c>connect</c> reply carries the channel data that way).</summary>
    public static EslEvent FromFrameHeaders(EslFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return new(frame.Headers);
    }

    /// <summary>
    /// Plain: url-encoded <c>Name: value</c> lines; when they hold a Content-Length, the event body
    /// follows the blank line (BACKGROUND_JOB results).
    /// </summary>
    public static EslEvent DecodePlain(ReadOnlySpan<byte> body)
    {
        var headers = PackedHeaders.FromHeaderBlock(body, out var rest);
        return new EslEvent(EslHeaders.Packed(headers), PlainBody(headers.Find("Content-Length"), rest));
    }

    /// <summary>Json: every member but <c>_body</c> (the event's body) is a header. The event keeps a copy of <paramref name="body"/>.</summary>
    public static EslEvent DecodeJson(ReadOnlyMemory<byte> body) => DecodeJsonOwned(body.ToArray());

    /// <summary>
    /// A whole json event, indexed in <paramref name="json"/>, which the event keeps: it must be an array no one
    /// changes or reuses (never the pooled read buffer). Packed instead in the case the index does not take.
    /// </summary>
    private static EslEvent DecodeJsonOwned(ReadOnlyMemory<byte> json)
    {
        if (HeaderIndex.FromJson(json, out var eventBody) is { } index)
        {
            return new EslEvent(EslHeaders.Indexed(index), eventBody);
        }
        var headers = PackedHeaders.FromJson(json.Span, out eventBody);
        return new EslEvent(EslHeaders.Packed(headers), eventBody);
    }

    /// <summary>
    /// An event frame still in the socket buffer: decoded whole, or, with a <paramref name="selection"/>, down to
    /// the headers it names (and the body), nothing else of it kept or even turned into a string. Xml (rare, and never
    /// what the daemon subscribes in) is decoded whole either way.
    /// </summary>
    internal static EslEvent Decode(EslContentType type, ReadOnlySequence<byte> body, HeaderSelection? selection)
    {
        if (selection is null && type == EslContentType.EventJson)
        {
            // The index points into the body: copied out of the read buffer once, since that buffer is reused.
            return DecodeJsonOwned(body.ToArray());
        }
        if (body.IsSingleSegment)
        {
            return Decode(type, body.FirstSpan, selection);
        }
        var length = (int)body.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            body.CopyTo(rented);
            return Decode(type, rented.AsSpan(0, length), selection);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static EslEvent Decode(EslContentType type, ReadOnlySpan<byte> body, HeaderSelection? selection) =>
        selection is null || type == EslContentType.EventXml ? DecodeWhole(type, body) : DecodeSelected(type, body, selection);

    private static EslEvent DecodeWhole(EslContentType type, ReadOnlySpan<byte> body) => type switch
    {
        EslContentType.EventPlain => DecodePlain(body),
        EslContentType.EventJson => DecodeJsonOwned(body.ToArray()),
        EslContentType.EventXml => DecodeXml(body),
        _ => throw new ArgumentException($"{type} is not an event frame", nameof(type)),
    };

    /// <summary>
    /// The selected decode, json or plain: each header the selection names goes into one array, its value reused
    /// from the selection's recent values where it can be (<see cref="HeaderSelection.Value"/>).
    /// </summary>
    private static EslEvent DecodeSelected(EslContentType type, ReadOnlySpan<byte> body, HeaderSelection selection)
    {
        // One slot more than the selection: a plain event's Content-Length, kept as the whole decode keeps it.
        var headers = new SelectedHeaders(selection.Count + 1);
        var eventBody = type switch
        {
            EslContentType.EventJson => ReadSelectedJson(body, selection, ref headers),
            EslContentType.EventPlain => ReadSelectedPlain(body, selection, ref headers),
            _ => throw new ArgumentException($"{type} is not an event frame", nameof(type)),
        };
        return new EslEvent(EslHeaders.Selected(headers.Pairs), eventBody);
    }

    private static string? ReadSelectedPlain(ReadOnlySpan<byte> body, HeaderSelection selection, ref SelectedHeaders headers)
    {
        string? contentLength = null;
        while (EslFrameParser.TryTakeHeaderLine(ref body, out var nameBytes, out var valueBytes))
        {
            if (nameBytes.SequenceEqual("Content-Length"u8))
            {
                contentLength = PercentDecoding.Decode(valueBytes);
                headers.Add("Content-Length", contentLength);
            }
            else if (selection.Match(nameBytes) is { } name)
            {
                headers.Add(name, valueBytes.IndexOf((byte)'%') < 0 ? selection.Value(valueBytes) : PercentDecoding.Decode(valueBytes));
            }
        }
        return PlainBody(contentLength, body);
    }

    /// <summary>Walks a json event object: each selected header goes to <paramref name="headers"/>; returns the <c>_body</c> member, if any.</summary>
    private static string? ReadSelectedJson(ReadOnlySpan<byte> body, HeaderSelection selection, ref SelectedHeaders headers)
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
                var name = SelectedName(ref reader, selection);
                reader.Read();
                if (name is null)
                {
                    reader.Skip();
                    continue;
                }
                var value = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
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

    /// <summary>A plain event's body: the <paramref name="contentLength"/> bytes after its header block.</summary>
    private static string? PlainBody(string? contentLength, ReadOnlySpan<byte> rest)
    {
        if (contentLength is null)
        {
            return null;
        }
        if (!int.TryParse(contentLength, out var length) || length < 0 || length > rest.Length)
        {
            throw new EslProtocolException($"event body Content-Length '{contentLength}' does not fit the {rest.Length} bytes left");
        }
        return Encoding.UTF8.GetString(rest[..length]);
    }

    /// <summary>At most one entry per selected name (a repeated one keeps its last value); the names are the selection's own strings.</summary>
    private struct SelectedHeaders(int capacity)
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
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var header in doc.Root?.Element("headers")?.Elements() ?? [])
            {
                headers.Add(new(header.Name.LocalName, PercentDecoding.Decode(header.Value)));
            }
            var eventBody = doc.Root?.Element("body")?.Value;
            return new EslEvent(EslHeaders.Packed(PackedHeaders.Pack(headers)), eventBody);
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
