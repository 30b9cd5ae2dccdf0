using System.Threading.Channels;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Esl.Internal;

/// <summary>
/// A bounded queue between the read loop and one consumer. When the consumer falls behind, the oldest
/// event is dropped and counted (<see cref="EslMetrics.EventsDropped"/>): the reader never waits on a consumer, so
/// replies keep flowing. The first drop is told to <c>overflowed</c>, outside the queue's lock.
/// </summary>
internal sealed class EventSubscriber
{
    private readonly EslConnection _connection;
    private readonly Func<EslEvent, bool>? _filter;
    private readonly Channel<EslEvent> _queue;
    private readonly Action<EventSubscriber>? _overflowed;
    private long _dropped;
    private int _told;

    public EventSubscriber(EslConnection connection, Func<EslEvent, bool>? filter, int capacity, Action<EventSubscriber>? overflowed = null)
    {
        _overflowed = overflowed;
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
            _ =>
            {
                Interlocked.Increment(ref _dropped);
                EslMetrics.EventsDropped.Add(1, new KeyValuePair<string, object?>("reason", "queue_full"));
            });
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public ChannelReader<EslEvent> Reader => _queue.Reader;

    public void Offer(EslEvent evt)
    {
        if (_filter is null || _filter(evt))
        {
            _queue.Writer.TryWrite(evt);
            if (_overflowed is not null && Interlocked.Read(ref _dropped) > 0 && Interlocked.Exchange(ref _told, 1) == 0)
            {
                _overflowed(this);
            }
        }
    }

    public void Complete() => _queue.Writer.TryComplete();

    public void Dispose() => _connection.Unsubscribe(this);
}
