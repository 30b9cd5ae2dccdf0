using System.Threading.Channels;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Esl.Internal;

/// <summary>
/// A bounded queue between the read loop and one consumer. When the consumer falls behind, the oldest
/// event is dropped, counted (<see cref="EslMetrics.EventsDropped"/>) and reported to the owner: the reader never
/// waits on a consumer, so replies keep flowing, and the owner decides what a gap in its events means.
/// </summary>
internal sealed class EventSubscriber
{
    private readonly EslConnection _connection;
    private readonly Func<EslEvent, bool>? _filter;
    private readonly Channel<EslEvent> _queue;
    private readonly Action<long>? _overflowed;
    private long _dropped;

    public EventSubscriber(EslConnection connection, Func<EslEvent, bool>? filter, int capacity, Action<long>? overflowed)
    {
        _connection = connection;
        _filter = filter;
        _overflowed = overflowed;
        _queue = Channel.CreateBounded<EslEvent>(
            new BoundedChannelOptions(capacity)
            {
                SingleWriter = true,
                SingleReader = true,
                FullMode = BoundedChannelFullMode.DropOldest,
                AllowSynchronousContinuations = false,
            },
            _ => OnDropped());
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    private void OnDropped()
    {
        var dropped = Interlocked.Increment(ref _dropped);
        EslMetrics.EventsDropped.Add(1, new KeyValuePair<string, object?>("reason", "consumer_behind"));
        _overflowed?.Invoke(dropped);
    }

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
