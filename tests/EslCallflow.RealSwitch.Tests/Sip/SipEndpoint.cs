using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace EslCallflow.RealSwitch.Tests.Sip;

/// <summary>A request this endpoint sent and is waiting on; its responses arrive here in order.</summary>
public sealed class ClientTransaction
{
    internal ClientTransaction(SipMessage request, IPEndPoint destination, Action<SipMessage, TimeSpan> onResponse)
    {
        Request = request;
        Destination = destination;
        OnResponse = onResponse;
    }

    public SipMessage Request { get; }
    public IPEndPoint Destination { get; }
    public TimeSpan SentAt { get; internal set; }
    internal Action<SipMessage, TimeSpan> OnResponse { get; }
    internal int LastStatus { get; set; }
    public bool TimedOut { get; internal set; }
}

/// <summary>A request this endpoint received: its last response is re-sent when the request is retransmitted.</summary>
public sealed class ServerTransaction
{
    internal ServerTransaction(SipMessage request, IPEndPoint source)
    {
        Request = request;
        Source = source;
    }

    public SipMessage Request { get; }
    public IPEndPoint Source { get; }
    internal TimeSpan ReceivedAt { get; init; }
    internal byte[]? LastResponse { get; set; }
    internal int LastStatus { get; set; }

    /// <summary>Set when the ACK for a final response to INVITE arrived (it stops the retransmissions).</summary>
    public bool Acknowledged { get; set; }
}

/// <summary>
/// A SIP endpoint on one loopback UDP port: the transaction layer of RFC 3261 section 17 as far as a phone
/// on loopback needs it. Requests are retransmitted (timers A/E, 500 ms doubling) until answered, final
/// responses to INVITE until ACKed (timer G), and a retransmitted request gets the last response again, so a
/// datagram lost or late on a busy machine never fails a test. Everything runs under <see cref="Gate"/>.
/// </summary>
public sealed class SipEndpoint : IAsyncDisposable
{
    private static readonly TimeSpan T1 = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan T2 = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(32);

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, ClientTransaction> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServerTransaction> _servers = new(StringComparer.Ordinal);
    private readonly List<string> _trace = [];
    private readonly Task _receiving;
    private readonly Action<SipMessage, ServerTransaction?, TimeSpan> _onRequest;

    public SipEndpoint(string name, Action<SipMessage, ServerTransaction?, TimeSpan> onRequest)
    {
        Name = name;
        _onRequest = onRequest;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Local = (IPEndPoint)_socket.LocalEndPoint!;
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    public string Name { get; }

    public IPEndPoint Local { get; }

    /// <summary>The one lock for this endpoint and the phone using it: datagrams are handled under it.</summary>
    public object Gate { get; } = new();

    /// <summary>One line per datagram sent or received, with its time, for a failing test's report.</summary>
    public IReadOnlyList<string> Trace
    {
        get
        {
            lock (Gate)
            {
                return [.. _trace];
            }
        }
    }

    public void ClearTrace()
    {
        lock (Gate)
        {
            _trace.Clear();
        }
    }

    /// <summary>
    /// Drops transactions older than <paramref name="age"/> (past every retransmission timer when it is over
    /// <see cref="TransactionTimeout"/>) and keeps the last <paramref name="traceLines"/> lines of the trace, so an
    /// endpoint that places calls for half an hour holds what is current, not all of it.
    /// </summary>
    public void Forget(TimeSpan age, int traceLines)
    {
        var before = SipClock.Now - age;
        lock (Gate)
        {
            foreach (var key in _clients.Where(c => c.Value.SentAt < before).Select(c => c.Key).ToList())
            {
                _clients.Remove(key);
            }
            foreach (var key in _servers.Where(s => s.Value.ReceivedAt < before).Select(s => s.Key).ToList())
            {
                _servers.Remove(key);
            }
            if (_trace.Count > traceLines)
            {
                _trace.RemoveRange(0, _trace.Count - traceLines);
            }
        }
    }

    public static string NewBranch() => "z9hG4bK" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    public static string NewTag() => Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

    public string Via(string branch) => $"SIP/2.0/UDP {Local.Address}:{Local.Port.ToString(CultureInfo.InvariantCulture)};rport;branch={branch}";

    /// <summary>Sends a request and retransmits it until a response (INVITE) or a final response (others) arrives.</summary>
    public ClientTransaction SendRequest(SipMessage request, IPEndPoint destination, Action<SipMessage, TimeSpan> onResponse)
    {
        var transaction = new ClientTransaction(request, destination, onResponse);
        lock (Gate)
        {
            _clients[request.TransactionKey] = transaction;
            transaction.SentAt = Send(request, destination);
        }
        _ = RetransmitRequestAsync(transaction);
        return transaction;
    }

    /// <summary>ACK and other requests without a transaction of their own: sent once (an ACK is re-sent when its response is).</summary>
    public TimeSpan SendOnce(SipMessage request, IPEndPoint destination)
    {
        lock (Gate)
        {
            return Send(request, destination);
        }
    }

    /// <summary>Answers a received request; a final response to INVITE is retransmitted until ACKed.</summary>
    public void Respond(ServerTransaction transaction, SipMessage response)
    {
        lock (Gate)
        {
            transaction.LastResponse = response.ToBytes();
            transaction.LastStatus = response.StatusCode;
            Send(response, transaction.Source);
        }
        if (transaction.Request.Method == "INVITE" && response.StatusCode >= 200)
        {
            _ = RetransmitFinalResponseAsync(transaction, response.StatusCode);
        }
    }

    /// <summary>A response to <paramref name="request"/> with its Via, From, To, Call-ID and CSeq (RFC 3261 section 8.2.6.2).</summary>
    public static SipMessage ResponseTo(SipMessage request, int code, string reason, string? toTag)
    {
        var response = SipMessage.Response(code, reason);
        foreach (var via in request.All("Via"))
        {
            response.Add("Via", via);
        }
        var to = request["To"] ?? string.Empty;
        if (toTag is not null && SipHeader.ParseNameAddress(to).Tag is null)
        {
            to += ";tag=" + toTag;
        }
        response.Add("From", request["From"] ?? string.Empty).Add("To", to).Add("Call-ID", request.CallId).Add("CSeq", request["CSeq"] ?? string.Empty);
        // A response that makes a dialog copies the request's Record-Route (RFC 3261 section 12.1.1): a proxy in the
        // path stays in the dialog.
        if (request.Method == "INVITE" && code is > 100 and < 300)
        {
            foreach (var route in request.All("Record-Route"))
            {
                response.Add("Record-Route", route);
            }
        }
        return response;
    }

    /// <summary>The INVITE a CANCEL names (same branch), if this endpoint received it. Call under <see cref="Gate"/>.</summary>
    public ServerTransaction? ReceivedInvite(string branch) => _servers.GetValueOrDefault(branch + "|INVITE");

    private TimeSpan Send(SipMessage message, IPEndPoint destination)
    {
        var bytes = message.ToBytes();
        var at = SipClock.Now;
        _socket.SendTo(bytes, destination);
        Record(at, "->", message);
        return at;
    }

    private void Record(TimeSpan at, string direction, SipMessage message)
    {
        var first = message.IsRequest ? $"{message.Method} {message.RequestUri}" : $"{message.StatusCode} {message.Reason} ({message.CSeqMethod})";
        _trace.Add($"{at.TotalSeconds,9:F3} {Name} {direction} {first} [{message.CallId}]");
    }

    private async Task RetransmitRequestAsync(ClientTransaction transaction)
    {
        var interval = T1;
        var started = Stopwatch.GetTimestamp();
        var isInvite = transaction.Request.Method == "INVITE";
        try
        {
            while (true)
            {
                await Task.Delay(interval, _stop.Token);
                lock (Gate)
                {
                    if (transaction.LastStatus >= 200 || (isInvite && transaction.LastStatus > 0))
                    {
                        return;
                    }
                    if (Stopwatch.GetElapsedTime(started) > TransactionTimeout)
                    {
                        transaction.TimedOut = true;
                        return;
                    }
                    Send(transaction.Request, transaction.Destination);
                }
                // Timer E stops doubling at T2 for non-INVITE requests; timer A keeps doubling.
                interval = isInvite ? interval * 2 : TimeSpan.FromTicks(Math.Min((interval * 2).Ticks, T2.Ticks));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RetransmitFinalResponseAsync(ServerTransaction transaction, int status)
    {
        var interval = T1;
        var started = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                await Task.Delay(interval, _stop.Token);
                lock (Gate)
                {
                    if (transaction.Acknowledged || transaction.LastStatus != status || Stopwatch.GetElapsedTime(started) > TransactionTimeout)
                    {
                        return;
                    }
                    _socket.SendTo(transaction.LastResponse!, transaction.Source);
                    _trace.Add($"{SipClock.Now.TotalSeconds,9:F3} {Name} -> (retransmitted {status}) [{transaction.Request.CallId}]");
                }
                interval = TimeSpan.FromTicks(Math.Min((interval * 2).Ticks, T2.Ticks));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error from an earlier send (a peer gone); the socket itself is fine.
                continue;
            }
            var at = SipClock.Now;
            var message = SipMessage.Parse(buffer.AsSpan(0, received.ReceivedBytes));
            if (message is null)
            {
                continue;
            }
            lock (Gate)
            {
                Record(at, "<-", message);
                try
                {
                    Dispatch(message, (IPEndPoint)received.RemoteEndPoint, at);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _trace.Add($"{at.TotalSeconds,9:F3} {Name} !! handling failed: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
    }

    private void Dispatch(SipMessage message, IPEndPoint source, TimeSpan at)
    {
        if (!message.IsRequest)
        {
            if (_clients.TryGetValue(message.TransactionKey, out var client))
            {
                client.LastStatus = Math.Max(client.LastStatus, message.StatusCode);
                client.OnResponse(message, at);
            }
            return;
        }
        if (message.Method == "ACK")
        {
            // An ACK for a non-2xx final response shares the INVITE's branch; one for a 2xx has its own
            // and is matched by the dialog (Call-ID) in the handler.
            if (_servers.TryGetValue(message.TransactionKey, out var invite))
            {
                invite.Acknowledged = true;
            }
            _onRequest(message, null, at);
            return;
        }
        var key = message.TransactionKey;
        if (_servers.TryGetValue(key, out var existing) && existing.Request.Method == message.Method)
        {
            // A retransmission: the last response again (or nothing yet, the handler is still on it).
            if (existing.LastResponse is { } last)
            {
                _socket.SendTo(last, existing.Source);
            }
            return;
        }
        var transaction = new ServerTransaction(message, source) { ReceivedAt = at };
        _servers[key] = transaction;
        _onRequest(message, transaction, at);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _receiving;
        }
        catch (OperationCanceledException)
        {
        }
        _socket.Dispose();
        _stop.Dispose();
    }
}
