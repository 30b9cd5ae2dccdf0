using System.Threading.Channels;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Esl.Internal;

/// <summary>
/// A bounded queue between the read loop and one consumer. When the consumer falls behind, the oldest
/// event is dropped and counted: the reader never waits on a consumer, so replies keep flowing.
/// </summary>
internal sealed class EventSubscriber
{
    private readonly EslConnection _connection;
    private readonly Func<EslEvent, bool>? _filter;
    private readonly Channel<EslEvent> _queue;
    private long _dropped;

    public EventSubscriber(EslConnection connection, Func<EslEvent, bool>? filter, int capacity)
    {
        _connection = connection;
        _filter = filter;
        _queue = Channel.CreateBounded<EslEvent>(
            new BoundedChannelOptions(capacity)
            {
                SingleWriter = true,
                SingleReader = true,
                FullMode = BoundedChannelFullMode.DropOldest,
                AllowSynchronousContinuations = false,
            },
            _ => Interlocked.Increment(ref _dropped));
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public ChannelReader<EslEvent> Reader => _queue.Reader;

    public void Offer(EslEvent evt)
    {
        if (_filter is null || _filter(evt))
        {
            _queue.Writer.TryWrite(evt);
        }
    }

    public void Complete() => _queue.Writer.TryComplete();

    public void Dispose() => _connection.Unsubscribe(this);
}
