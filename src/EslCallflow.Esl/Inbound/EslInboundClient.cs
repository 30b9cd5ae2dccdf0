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

    private EslInboundClient(EslConnection connection, int eventQueueCapacity) : base(connection, eventQueueCapacity) { }

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
        var client = new EslInboundClient(connection, options.EventQueueCapacity);
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
    public Task SubscribeAsync(EslEventFormat format, IEnumerable<string> eventNames, CancellationToken cancellationToken = default)
    {
        var names = string.Join(' ', eventNames);
        EslCommandText.EnsureSingleLine(names, nameof(eventNames));
        return ExpectOkAsync(Connection, $"event {format.ToWire()} {names}", cancellationToken);
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

    /// <summary>Arms dead-link detection: subscribe to HEARTBEAT first, or a quiet switch looks dead.</summary>
    public void SetHeartbeatTimeout(TimeSpan? timeout) => Connection.SetIdleTimeout(timeout);
}
