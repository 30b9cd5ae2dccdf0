namespace EslCallflow.Esl.Protocol;

/// <summary>How a header value's bytes, as they sit on the wire, become its text.</summary>
internal enum WireEncoding : byte
{
    /// <summary>The bytes are the text (UTF-8): a plain value with no '%', an unescaped json string, or the json text of a number, literal, array or object.</summary>
    Verbatim,

    /// <summary>FreeSWITCH's url-encoding (plain and xml values, see <see cref="PercentDecoding"/>).</summary>
    Percent,

    /// <summary>A json string with escapes (see <see cref="JsonStrings"/>).</summary>
    JsonEscaped,
}

/// <summary>
/// One header as a wire format's walker found it: where its name and value sit in the bytes walked, and how each
/// becomes text. A walker (<see cref="PlainHeaders"/>, <see cref="JsonHeaders"/>, <see cref="XmlHeaders"/>) reads
/// each header once and hands it to a form (<see cref="IHeaderSink"/>), which takes what it keeps.
/// </summary>
/// <remarks>The flags come last so that it packs into 20 bytes: a json event's index keeps one per header.</remarks>
internal readonly record struct WireHeader(int NameStart, int NameLength, int ValueStart, int ValueLength, bool NameEscaped, WireEncoding Encoding)
{
    public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> source) => source.Slice(NameStart, NameLength);

    public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> source) => source.Slice(ValueStart, ValueLength);

    // Invalid UTF-8 and lone surrogate escapes read as U+FFFD: reading a header must never throw (see JsonStrings).
    public string NameText(ReadOnlySpan<byte> source) =>
        NameEscaped ? JsonStrings.Decode(Name(source)) : System.Text.Encoding.UTF8.GetString(Name(source));

    public string ValueText(ReadOnlySpan<byte> source) => Encoding switch
    {
        WireEncoding.Percent => PercentDecoding.Decode(Value(source)),
        WireEncoding.JsonEscaped => JsonStrings.Decode(Value(source)),
        _ => System.Text.Encoding.UTF8.GetString(Value(source)),
    };

    /// <summary>The name's UTF-8 text into <paramref name="destination"/> (as long as the raw name at least: decoding never lengthens); the bytes written.</summary>
    public int CopyName(ReadOnlySpan<byte> source, Span<byte> destination) =>
        NameEscaped ? JsonStrings.UnescapeInto(Name(source), destination) : Copy(Name(source), destination);

    /// <summary>The value's UTF-8 text into <paramref name="destination"/> (as long as the raw value at least); the bytes written.</summary>
    public int CopyValue(ReadOnlySpan<byte> source, Span<byte> destination) => Encoding switch
    {
        WireEncoding.Percent => PercentDecoding.DecodeInto(Value(source), destination),
        WireEncoding.JsonEscaped => JsonStrings.UnescapeInto(Value(source), destination),
        _ => Copy(Value(source), destination),
    };

    /// <summary>Whether the name reads as <paramref name="utf8"/> (a short, plain name such as <c>_body</c>).</summary>
    public bool NameIs(ReadOnlySpan<byte> source, ReadOnlySpan<byte> utf8)
    {
        if (!NameEscaped)
        {
            return Name(source).SequenceEqual(utf8);
        }
        // An escape is at least two bytes for one: a name this long cannot unescape to anything shorter than 6 times less.
        if (NameLength > utf8.Length * 6)
        {
            return false;
        }
        Span<byte> text = stackalloc byte[NameLength];
        return text[..CopyName(source, text)].SequenceEqual(utf8);
    }

    private static int Copy(ReadOnlySpan<byte> from, Span<byte> to)
    {
        from.CopyTo(to);
        return from.Length;
    }
}

/// <summary>
/// A form headers are kept in (<see cref="PackedHeaders.Builder"/>, <see cref="HeaderIndex.Builder"/>,
/// <see cref="SelectedHeaders"/>), fed by a wire format's walker one header at a time. Walkers take it as a generic
/// struct argument, so each pairing of walker and form compiles to its own loop with no call through an interface.
/// </summary>
internal interface IHeaderSink
{
    void Add(ReadOnlySpan<byte> source, in WireHeader header);
}
