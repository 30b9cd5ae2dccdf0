using EslCallflow.Esl;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace EslCallflow.Hosting;

/// <summary>
/// Every sink of the daemon writes through this one, which escapes control characters (see
/// <see cref="ControlCharacters"/>) in all a log event carries: its property values, however nested (the call UUID,
/// number, caller id and channel names of the scopes; header values in reasons), its template, and its exception's
/// text. Done here, once, so no log line anywhere depends on each call site remembering that a value came from the
/// wire: a <c>%0A</c> in a Unique-ID or a destination number cannot forge a line, an ESC cannot reach a terminal.
/// </summary>
internal sealed class ControlCharacterEscapingSink : ILogEventSink, IDisposable
{
    private static readonly MessageTemplateParser TemplateParser = new();
    private readonly ILogEventSink _inner;

    public ControlCharacterEscapingSink(ILogEventSink inner) => _inner = inner;

    public void Emit(LogEvent logEvent) => _inner.Emit(Escape(logEvent));

    public void Dispose() => (_inner as IDisposable)?.Dispose();

    /// <summary>The event with every control character escaped; the same instance when it held none.</summary>
    internal static LogEvent Escape(LogEvent logEvent)
    {
        var changed = false;
        var properties = new List<LogEventProperty>(logEvent.Properties.Count);
        foreach (var (name, value) in logEvent.Properties)
        {
            var escaped = Escape(value);
            changed |= !ReferenceEquals(escaped, value);
            properties.Add(new LogEventProperty(name, escaped));
        }
        var template = logEvent.MessageTemplate;
        if (ControlCharacters.Contains(template.Text))
        {
            template = TemplateParser.Parse(ControlCharacters.Escape(template.Text));
            changed = true;
        }
        var exception = logEvent.Exception;
        if (exception is not null && EscapedException.Needed(exception))
        {
            exception = new EscapedException(exception);
            changed = true;
        }
        return changed
            ? new LogEvent(logEvent.Timestamp, logEvent.Level, exception, template, properties, logEvent.TraceId ?? default, logEvent.SpanId ?? default)
            : logEvent;
    }

    private static LogEventPropertyValue Escape(LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: string text } when ControlCharacters.Contains(text):
                return new ScalarValue(ControlCharacters.Escape(text));
            case SequenceValue sequence:
                var elements = sequence.Elements.Select(Escape).ToArray();
                return elements.SequenceEqual(sequence.Elements) ? value : new SequenceValue(elements);
            case StructureValue structure:
                var members = structure.Properties.Select(p => new LogEventProperty(p.Name, Escape(p.Value))).ToArray();
                return members.Select(m => m.Value).SequenceEqual(structure.Properties.Select(p => p.Value)) ? value : new StructureValue(members, structure.TypeTag);
            case DictionaryValue dictionary:
                var entries = dictionary.Elements.Select(e => new KeyValuePair<ScalarValue, LogEventPropertyValue>((ScalarValue)Escape(e.Key), Escape(e.Value))).ToArray();
                return entries.Zip(dictionary.Elements).All(p => ReferenceEquals(p.First.Key, p.Second.Key) && ReferenceEquals(p.First.Value, p.Second.Value))
                    ? value
                    : new DictionaryValue(entries);
            default:
                return value;
        }
    }

    /// <summary>
    /// Stands for an exception whose text holds control characters: its messages escaped whole (a message is one
    /// line), then the rest of the text with everything but the newlines that lay out the stack trace escaped.
    /// </summary>
    private sealed class EscapedException : Exception
    {
        private readonly string _text;

        public EscapedException(Exception original) : base(ControlCharacters.Escape(original.Message))
        {
            var text = original.ToString();
            foreach (var message in Chain(original).Select(e => e.Message).Where(m => ControlCharacters.Contains(m)).Distinct())
            {
                text = text.Replace(message, ControlCharacters.Escape(message), StringComparison.Ordinal);
            }
            _text = string.Join('\n', text.Split('\n').Select(ControlCharacters.Escape));
        }

        public static bool Needed(Exception exception) => ControlCharacters.Contains(exception.ToString().Replace("\n", string.Empty, StringComparison.Ordinal))
            || Chain(exception).Any(e => ControlCharacters.Contains(e.Message));

        public override string ToString() => _text;

        private static IEnumerable<Exception> Chain(Exception exception)
        {
            var pending = new Stack<Exception>([exception]);
            while (pending.TryPop(out var current))
            {
                yield return current;
                if (current is AggregateException aggregate)
                {
                    foreach (var inner in aggregate.InnerExceptions)
                    {
                        pending.Push(inner);
                    }
                }
                else if (current.InnerException is { } inner)
                {
                    pending.Push(inner);
                }
            }
        }
    }
}
