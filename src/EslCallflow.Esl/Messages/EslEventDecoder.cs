using System.Buffers;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Esl.Messages;

/// <summary>
/// Decodes headers: a frame's header block, and the body of a text/event-* frame into an <see cref="EslEvent"/>.
/// Each wire format has one walker (<see cref="PlainHeaders"/>, <see cref="JsonHeaders"/>, <see cref="XmlHeaders"/>)
/// that reads each header once and feeds it to the form the frame's headers are kept in; <see cref="FormOf"/> is the
/// one table that says which.
/// </summary>
internal static class EslEventDecoder
{
    /// <summary>The forms headers are kept in, each kept because BENCHMARKS.md ("ESL framing and decoding") shows it pays.</summary>
    internal enum HeaderForm
    {
        /// <summary>Decoded into one UTF-8 buffer (<see cref="PackedHeaders"/>): a third of the memory of strings, for headers kept long (a call's channel data).</summary>
        Packed,

        /// <summary>Positions in the event's own body (<see cref="HeaderIndex"/>): half the time of packing a json event.</summary>
        Indexed,

        /// <summary>Only the headers a consumer named, as strings in one array (<see cref="SelectedHeaders"/>): 0.5 KB an event against 10.</summary>
        Selected,
    }

    /// <summary>The wire formats, each walked by one walker.</summary>
    internal enum Wire
    {
        /// <summary>A frame's header block: <c>Name: value</c> lines (<see cref="PlainHeaders"/>), whole lines with no blank line or body after them.</summary>
        HeaderBlock,

        /// <summary>text/event-plain: the same lines, then a blank line and the body their Content-Length says.</summary>
        Plain,

        Json,
        Xml,
    }

    /// <summary>
    /// The table: the wire format of each frame part that carries headers, and the form they take. A frame's own
    /// header block (a command reply, a connect reply's channel data, a notice) is <c>Name: value</c> lines, packed.
    /// An event is in the format of its content type and kept whole in the form below, or selected when its
    /// connection was told which headers its consumer reads (<see cref="Inbound.EslSubscription.EventHeaders"/>).
    /// </summary>
    internal static (Wire Wire, HeaderForm Form) FormOf(EslContentType? eventType, HeaderSelection? selection) => eventType switch
    {
        null => (Wire.HeaderBlock, HeaderForm.Packed),
        EslContentType.EventPlain => (Wire.Plain, selection is null ? HeaderForm.Packed : HeaderForm.Selected),
        EslContentType.EventJson => (Wire.Json, selection is null ? HeaderForm.Indexed : HeaderForm.Selected),
        EslContentType.EventXml => (Wire.Xml, selection is null ? HeaderForm.Packed : HeaderForm.Selected),
        _ => throw new ArgumentException($"{eventType} is not an event frame", nameof(eventType)),
    };

    public static bool IsEvent(EslContentType type) =>
        type is EslContentType.EventPlain or EslContentType.EventJson or EslContentType.EventXml;

    /// <summary>An event frame made earlier: a json event is indexed in the frame's own body, which it keeps (no copy).</summary>
    public static EslEvent Decode(EslFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return Decode(frame.ContentType, frame.Body, owned: true, selection: null);
    }

    /// <summary>
    /// An event frame still in the socket buffer: decoded whole, or, with a <paramref name="selection"/>, down to
    /// the headers it names (and the body), nothing else of it kept or even turned into a string.
    /// </summary>
    internal static EslEvent Decode(EslContentType type, ReadOnlySequence<byte> body, HeaderSelection? selection)
    {
        if (body.IsSingleSegment)
        {
            return Decode(type, body.First, owned: false, selection);
        }
        var length = (int)body.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            body.CopyTo(rented);
            return Decode(type, rented.AsMemory(0, length), owned: false, selection);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A frame's header block (whole lines, the blank line left out), packed.</summary>
    internal static EslHeaders DecodeHeaderBlock(ReadOnlySequence<byte> lines)
    {
        var (wire, _) = FormOf(eventType: null, selection: null);
        if (lines.IsSingleSegment)
        {
            return Packed(wire, lines.FirstSpan, out _);
        }
        var length = (int)lines.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            lines.CopyTo(rented);
            return Packed(wire, rented.AsSpan(0, length), out _);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <param name="owned">Whether <paramref name="body"/> is an array no one changes or reuses, which an index may keep.</param>
    private static EslEvent Decode(EslContentType type, ReadOnlyMemory<byte> body, bool owned, HeaderSelection? selection)
    {
        var (wire, form) = FormOf(type, selection);
        switch (form)
        {
            case HeaderForm.Indexed:
                // The index points into the body: one copy out of the read buffer, which is reused.
                var json = owned ? body : body.ToArray();
                var index = new HeaderIndex.Builder();
                try
                {
                    var indexedBody = Walk(wire, json.Span, ref index);
                    return new EslEvent(EslHeaders.Indexed(index.Build(json)), indexedBody);
                }
                finally
                {
                    index.Dispose();
                }
            case HeaderForm.Selected:
                var selected = new SelectedHeaders(selection!);
                var selectedBody = Walk(wire, body.Span, ref selected);
                return new EslEvent(EslHeaders.Selected(selected.Pairs), selectedBody);
            default:
                var headers = Packed(wire, body.Span, out var packedBody);
                return new EslEvent(headers, packedBody);
        }
    }

    private static EslHeaders Packed(Wire wire, ReadOnlySpan<byte> source, out string? body)
    {
        var packed = PackedHeaders.Builder.For(source);
        try
        {
            body = Walk(wire, source, ref packed);
            return EslHeaders.Packed(packed.ToPacked());
        }
        finally
        {
            packed.Dispose();
        }
    }

    /// <summary>Walks <paramref name="source"/> in its wire format into <paramref name="sink"/>; returns the event body, if any.</summary>
    private static string? Walk<TSink>(Wire wire, ReadOnlySpan<byte> source, ref TSink sink) where TSink : struct, IHeaderSink
    {
        switch (wire)
        {
            case Wire.Json:
                return JsonHeaders.Walk(source, ref sink);
            case Wire.Xml:
                return XmlHeaders.Walk(source, ref sink);
            case Wire.Plain:
                var rest = PlainHeaders.Walk(source, ref sink, out var contentLength);
                return PlainHeaders.Body(source, contentLength, rest);
            default:
                PlainHeaders.Walk(source, ref sink, out _);
                return null;
        }
    }
}
