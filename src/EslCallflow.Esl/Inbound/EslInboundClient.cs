using System.Net.Sockets;
using EslCallflow.Esl.Internal;
using EslCallflow.Esl.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EslCallflow.Esl.Inbound;

/// <summary>An authenticated connection from us to FreeSWITCH's event socket (port 8021).</summary>
public sealed class EslInboundClient : EslSocket
{
    private static int s_nextId;
    private readonly TimeSpan _heartbeatTimeout;

    private EslInboundClient(EslConnection connection, EslInboundOptions options) : base(connection, options.EventQueueCapacity)
    {
        _heartbeatTimeout = options.HeartbeatTimeout;
    }

    /// <summary>Connects and authenticates; completes only once FreeSWITCH has accepted the password.</summary>
    public static async Task<EslInboundClient> ConnectAsync(EslInboundOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EslInboundClient>();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(options.ConnectTimeout);
            await socket.ConnectAsync(options.Host, options.Port, connectTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new EslConnectException($"cannot connect to FreeSWITCH at {options}: {ex.Message}", ex);
        }
        catch
        {
            // The caller's cancellation, or anything unforeseen: the socket goes with it.
            socket.Dispose();
            throw;
        }

        var id = "in-" + Interlocked.Increment(ref s_nextId);
        var connection = CreateConnection(socket, options.Limits, logger, id, busy: true);
        var client = new EslInboundClient(connection, options);
        try
        {
            await connection.AuthRequested.WaitAsync(options.AuthTimeout, cancellationToken).ConfigureAwait(false);
            var reply = await connection.SendAsync("auth " + options.Password, cancellationToken).WaitAsync(options.AuthTimeout, cancellationToken).ConfigureAwait(false);
            if (!reply.IsOk)
            {
                throw new EslConnectException($"FreeSWITCH at {options} rejected the password ({reply.ReplyText})");
            }
            return client;
        }
        catch (Exception ex) when (ex is not EslConnectException && !cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            var why = ex is TimeoutException ? "no auth/request or auth reply in time" : ex.Message;
            throw new EslConnectException($"cannot log in to FreeSWITCH at {options}: {why}", ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary><c>event &lt;format&gt; NAME ...</c>: adds to the events FreeSWITCH sends on this connection.</summary>
    private Task EventAsync(EslEventFormat format, IEnumerable<string> eventNames, CancellationToken cancellationToken)
    {
        var names = string.Join(' ', eventNames);
        EslCommandText.EnsureSingleLine(names, nameof(eventNames));
        return ExpectOkAsync(Connection, $"event {format.ToWire()} {names}", cancellationToken);
    }

    /// <summary>
    /// Adds to the events FreeSWITCH sends on this connection (<c>event &lt;format&gt; NAME ...</c>), as
    /// <paramref name="subscription"/> says: from now on events keep only its <see cref="EslSubscription.EventHeaders"/>,
    /// its <c>filter</c>s are sent, then <c>event</c> for its names. When they include HEARTBEAT, the link counts as
    /// dead after <see cref="EslInboundOptions.HeartbeatTimeout"/> without a byte from FreeSWITCH.
    /// </summary>
    public async Task SubscribeAsync(EslSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        KeepOnlyEventHeaders(subscription.EventHeaders);
        foreach (var (header, value) in subscription.Filters)
        {
            await FilterAsync(header, value, cancellationToken).ConfigureAwait(false);
        }
        await EventAsync(subscription.Format, subscription.EventNames, cancellationToken).ConfigureAwait(false);
        if (_heartbeatTimeout > TimeSpan.Zero && subscription.EventNames.Contains("HEARTBEAT"))
        {
            // FreeSWITCH sends HEARTBEAT every 20 s to subscribers of it: a longer silence is a lost switch.
            Connection.SetIdleTimeout(_heartbeatTimeout);
        }
    }

    /// <summary><c>nixevent NAME ...</c>: stops some events.</summary>
    public Task UnsubscribeAsync(IEnumerable<string> eventNames, CancellationToken cancellationToken = default)
    {
        var names = string.Join(' ', eventNames);
        EslCommandText.EnsureSingleLine(names, nameof(eventNames));
        return ExpectOkAsync(Connection, "nixevent " + names, cancellationToken);
    }

    /// <summary><c>filter Header value</c>: only events matching a filter are sent.</summary>
    public Task FilterAsync(string header, string value, CancellationToken cancellationToken = default)
    {
        EslCommandText.EnsureSingleLine(header, nameof(header));
        EslCommandText.EnsureSingleLine(value, nameof(value));
        return ExpectOkAsync(Connection, $"filter {header} {value}", cancellationToken);
    }

    /// <summary>
    /// <c>sendevent &lt;NAME&gt;</c>: fires an event on the switch, for every event-socket consumer subscribed to it.
    /// Returns the reply text (<c>+OK &lt;Event-UUID&gt;</c>).
    /// </summary>
    /// <remarks>
    /// The wire form, as FreeSWITCH's mod_event_socket.c reads it (signalwire/freeswitch, <c>read_packet</c> and
    /// <c>parse_command</c>): the command line, then <c>Name: value</c> lines (split at the first ':', leading spaces
    /// of the value skipped, no decoding), each added as an event header; a <c>Content-Length</c> header makes it read
    /// exactly that many bytes after the blank line as the event's body. <c>sendevent CUSTOM</c> takes its subclass
    /// from the <c>Event-Subclass</c> header (<c>switch_event_set_subclass_name</c>), adds an <c>Event-UUID</c> and
    /// replies <c>+OK &lt;that uuid&gt;</c>. An event with a <c>Unique-ID</c> header naming a live channel is queued to
    /// that session instead of being fired, so that header is refused here.
    /// </remarks>
    public Task<string> SendEventAsync(string eventName, IReadOnlyList<KeyValuePair<string, string>> headers, string? body, CancellationToken cancellationToken = default) =>
        SendEventAsync(eventName, null, headers, body, cancellationToken);

    /// <summary>
    /// As <see cref="SendEventAsync(string, IReadOnlyList{KeyValuePair{string, string}}, string?, CancellationToken)"/>,
    /// with a <c>Unique-ID</c> header of <paramref name="notAChannel"/>: a UUID the caller made for something that is
    /// not a channel (mod_sofia's presence events need one to write a dialog, sofia_presence.c
    /// <c>sofia_presence_sub_callback</c>), so the event is fired, not queued to a session.
    /// </summary>
    public Task<string> SendEventWithIdAsync(string eventName, Guid notAChannel, IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken) =>
        SendEventAsync(eventName, (Guid?)notAChannel, headers, null, cancellationToken);

    private async Task<string> SendEventAsync(string eventName, Guid? uniqueId, IReadOnlyList<KeyValuePair<string, string>> headers, string? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (eventName.Length == 0 || !eventName.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
        {
            throw new ArgumentException($"'{eventName}' is not an event name", nameof(eventName));
        }
        var text = new System.Text.StringBuilder("sendevent ").Append(eventName);
        foreach (var (name, value) in headers)
        {
            if (name.Length == 0 || name.Contains(':', StringComparison.Ordinal) || name.Contains(' ', StringComparison.Ordinal)
                || name.Equals("Unique-ID", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"'{name}' cannot be a header of a sent event", nameof(headers));
            }
            EslCommandText.EnsureSingleLine(name, nameof(headers));
            EslCommandText.EnsureSingleLine(value, nameof(headers));
            text.Append('\n').Append(name).Append(": ").Append(value);
        }
        if (uniqueId is { } id)
        {
            text.Append("\nUnique-ID: ").Append(id.ToString("D"));
        }
        var command = string.IsNullOrEmpty(body) ? EslCommand.Text(text.ToString()) : EslCommand.WithBody(text.ToString(), body);
        var replies = await Connection.SendAllAsync([command], cancellationToken).ConfigureAwait(false);
        var reply = await replies.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!reply.IsOk)
        {
            throw new EslCommandException("sendevent " + eventName, reply.ReplyText);
        }
        return reply.ReplyText;
    }
}
