using System.Text.Json;

namespace EslCallflow.Esl.Protocol;

/// <summary>
/// The walker for a text/event-json body (switch_event_serialize_json): one object whose members are the headers,
/// each a string, or an array for a multi-valued header, and whose <c>_body</c> member is the event's body.
/// </summary>
internal static class JsonHeaders
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 16 };

    /// <summary>
    /// Hands each member of the object in <paramref name="json"/> but <c>_body</c> to <paramref name="sink"/>, in
    /// order; returns the <c>_body</c> member's text, if any. A string's escapes are left for the form to resolve
    /// (<see cref="WireEncoding.JsonEscaped"/>); an array, object, number or literal is its json text.
    /// </summary>
    /// <exception cref="EslProtocolException">Not a well-formed json object.</exception>
    public static string? Walk<TSink>(ReadOnlySpan<byte> json, ref TSink sink) where TSink : struct, IHeaderSink
    {
        string? body = null;
        try
        {
            var reader = new Utf8JsonReader(json, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new EslProtocolException("json event is not an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Past the opening quote; ValueSpan is the name's raw bytes, escapes and all.
                var nameStart = (int)reader.TokenStartIndex + 1;
                var nameLength = reader.ValueSpan.Length;
                var nameEscaped = reader.ValueIsEscaped;
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                int valueLength;
                var encoding = WireEncoding.Verbatim;
                if (reader.TokenType == JsonTokenType.String)
                {
                    valueStart++;
                    valueLength = reader.ValueSpan.Length;
                    encoding = reader.ValueIsEscaped ? WireEncoding.JsonEscaped : WireEncoding.Verbatim;
                }
                else if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    // FreeSWITCH sends arrays for multi-valued headers; their json text is the value.
                    reader.Skip();
                    valueLength = (int)reader.BytesConsumed - valueStart;
                }
                else
                {
                    valueLength = reader.ValueSpan.Length;
                }
                var header = new WireHeader(nameStart, nameLength, valueStart, valueLength, nameEscaped, encoding);
                if (header.NameIs(json, "_body"u8))
                {
                    body = header.ValueText(json);
                    continue;
                }
                sink.Add(json, header);
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
        return body;
    }
}
