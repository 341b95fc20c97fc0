using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Virtwire.Xdr;

namespace Virtwire.Rpc;

/// <summary>Limits and timers of one server-side connection (libvirtd.conf's per-client settings).</summary>
public sealed record RpcServerOptions
{
    public static RpcServerOptions Default { get; } = new();

    /// <summary>Largest packet accepted, excluding the length word.</summary>
    public int MaxMessageSize { get; init; } = RpcLimits.MaxMessageSize;

    /// <summary>Calls in flight per client (libvirtd's max_client_requests); beyond it the socket is not read.</summary>
    public int MaxClientRequests { get; init; } = 5;

    /// <summary>Seconds of silence before a keepalive ping, once the client asked for keepalive; 0 or less disables.</summary>
    public int KeepaliveInterval { get; init; } = 5;

    /// <summary>Unanswered pings before the client is dropped.</summary>
    public int KeepaliveCount { get; init; } = 5;

    /// <summary>
    /// Outgoing packets (replies, events) queued for a client that is not reading. When full the client is
    /// disconnected with a logged reason: memory stays bounded and nobody else waits on a stuck client.
    /// </summary>
    public int MaxOutgoingQueue { get; init; } = 4096;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>What a server connection hands decoded calls to (the program dispatcher).</summary>
public interface IRpcServerHandler
{
    /// <summary>Whether this handler serves <paramref name="program"/> at <paramref name="version"/>.</summary>
    bool IsKnownProgram(uint program, uint version);

    /// <summary>
    /// Runs one call and returns its result. Throw <see cref="RpcRemoteException"/> to send an error reply,
    /// <see cref="RpcProcedureNotImplementedException"/> for "unknown procedure", <see cref="XdrFormatException"/>
    /// for an undecodable payload.
    /// </summary>
    ValueTask<IXdrWritable> HandleCallAsync(RpcServerConnection connection, RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>Called once when the connection has ended, for per-client clean-up.</summary>
    ValueTask OnClosedAsync(RpcServerConnection connection);
}

/// <summary>
/// One client of the daemon: reads frames, dispatches calls concurrently up to the per-client limit,
/// writes replies and events in the order they are produced, answers keepalive. Nothing the peer sends can
/// make it throw out of <see cref="RunAsync"/>; bad framing closes the connection with a logged reason.
/// </summary>
public sealed partial class RpcServerConnection : IAsyncDisposable
{
    /// <summary>The keepalive program ("keep") and its procedures (protocol-facts §2.1).</summary>
    public const uint KeepaliveProgram = 0x6b656570;

    private const int KeepalivePing = 1;
    private const int KeepalivePong = 2;

    private readonly Stream _stream;
    private readonly IRpcServerHandler _handler;
    private readonly RpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _requests;
    private readonly int _corkLimit;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<uint, RpcServerStream> _streams = new();
    private int _disposed;
    private int _keepaliveStarted;
    private long _lastReceivedTicks;
    private string? _closeReason;

    public RpcServerConnection(Stream stream, IRpcServerHandler handler, RpcServerOptions? options = null, string? peer = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(handler);
        _stream = stream;
        _handler = handler;
        _options = options ?? RpcServerOptions.Default;
        _logger = _options.LoggerFactory.CreateLogger("Virtwire.Rpc.Server");
        // Replies held back while buffered calls are handled stay well inside the outgoing limit.
        _corkLimit = Math.Min(64, _options.MaxOutgoingQueue / 2);
        _requests = new SemaphoreSlim(Math.Max(1, _options.MaxClientRequests));
        Peer = peer ?? "client";
        _lastReceivedTicks = _options.TimeProvider.GetTimestamp();
    }

    /// <summary>A description of the peer for logs (address, or uid/pid on unix sockets).</summary>
    public string Peer { get; }

    /// <summary>Per-client state owned by the handler.</summary>
    public object? State { get; set; }

    /// <summary>Cancelled when the connection is closing.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Why the connection ended, once it has.</summary>
    public string? CloseReason => _closeReason;

    /// <summary>Serves the connection until the peer leaves, an error occurs, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var link = cancellationToken.Register(static s => ((RpcServerConnection)s!).Close("server shutting down"), this);
        var keepalive = Task.Run(KeepaliveLoopAsync, CancellationToken.None);
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            Close(ex is OperationCanceledException ? _closeReason ?? "closed" : "connection error: " + ex.Message);
        }
        catch (Exception ex)
        {
            Log.Unexpected(_logger, Peer, ex);
            Close("internal error: " + ex.Message);
        }

        Close(_closeReason ?? "end of file from client");
        foreach (var stream in _streams.Values)
        {
            stream.End(new RpcStreamAbortedException("the client connection closed"));
        }

        _streams.Clear();
        await WritesStoppedAsync().ConfigureAwait(false);
        await keepalive.ConfigureAwait(false);
        try
        {
            await _handler.OnClosedAsync(this).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.Unexpected(_logger, Peer, ex);
        }

        await DisposeAsync().ConfigureAwait(false);
        Log.Closed(_logger, Peer, _closeReason ?? "closed");
    }

    /// <summary>Starts server-side keepalive pings (the client asked via CONNECT_SUPPORTS_FEATURE 10).</summary>
    public void StartKeepalive() => Interlocked.Exchange(ref _keepaliveStarted, 1);

    /// <summary>Queues a one-way message (an event) without blocking; false when the connection is gone or overwhelmed.</summary>
    public bool TrySendMessage(uint program, uint version, int procedure, IXdrWritable body) =>
        TryQueue(new RpcHeader(program, version, procedure, RpcMessageType.Message, 1, RpcStatus.Ok), body);

    /// <summary>
    /// Creates the stream of the call <paramref name="call"/> (a procedure with a stream). Data may be sent on it
    /// once the call's successful reply is queued; if the call fails, the stream is discarded.
    /// </summary>
    public RpcServerStream OpenStream(in RpcHeader call)
    {
        var stream = new RpcServerStream(this, call, Math.Max(1, _options.MaxClientRequests));
        if (!_streams.TryAdd(call.Serial, stream))
        {
            throw new InvalidOperationException($"a stream with serial {call.Serial} is already open");
        }

        return stream;
    }

    internal void RemoveStream(RpcServerStream stream) => _streams.TryRemove(new KeyValuePair<uint, RpcServerStream>(stream.Serial, stream));

    internal bool TrySend(in RpcHeader header, IXdrWritable body) => TryQueue(header, body);

    /// <summary>Closes the connection; pending writes are abandoned.</summary>
    public void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is null)
        {
            Log.Closing(_logger, Peer, reason);
        }

        CloseWrites();
        _closing.Cancel();
    }

    /// <summary>Handles one frame; returns true when a dispatched call now owns the request slot.</summary>
    private bool Handle(RpcFrame frame)
    {
        var header = frame.Header;
        if (header.Program == KeepaliveProgram)
        {
            if (header.Type == RpcMessageType.Message && header.Procedure == KeepalivePing)
            {
                TryQueue(header with { Procedure = KeepalivePong, Serial = 0 }, XdrVoid.Instance);
            }

            return false;
        }

        if (header.Type is not (RpcMessageType.Call or RpcMessageType.CallWithFds))
        {
            // Messages from clients have no use here; libvirt drops unexpected ones.
            Log.Dropped(_logger, Peer, header.Program, header.Procedure, (int)header.Type);
            return false;
        }

        if (header.Type == RpcMessageType.CallWithFds)
        {
            Reply(header, RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc,
                "Sending file descriptors is not supported on this socket", "%s", "Sending file descriptors is not supported on this socket"));
            return false;
        }

        if (!_handler.IsKnownProgram(header.Program, header.Version))
        {
            Reply(header, RemoteError.UnknownProgram(header.Program, header.Version));
            return false;
        }

        if (header.Status != RpcStatus.Ok)
        {
            var text = $"Unexpected message status {(int)header.Status}";
            Reply(header, RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc, text, "%s", text));
            return false;
        }

        // The payload lives in the read buffer; copy it so the next read can reuse the buffer (handlers may decode
        // it after an await, e.g. once a worker slot is free).
        var payload = frame.Payload.ToArray();
        ValueTask<IXdrWritable> call;
        try
        {
            call = _handler.HandleCallAsync(this, header, payload, _closing.Token);
        }
        catch (Exception ex)
        {
            Fail(header, ex);
            return false;
        }

        // Most calls complete without waiting: answer them here, with no state machine and no task.
        if (call.IsCompleted)
        {
            try
            {
                Replied(header, call.Result);
            }
            catch (Exception ex)
            {
                Fail(header, ex);
            }

            return false;
        }

        _ = CompleteAsync(header, call);
        return true;
    }

    /// <summary>
    /// A stream packet from the client: data goes to the stream (waiting while its queue is full, which stops
    /// this reader as libvirtd does); finish and abort end it and are confirmed. Packets for streams that do not
    /// exist are discarded, as by libvirt.
    /// </summary>
    private async ValueTask HandleStreamPacketAsync(RpcHeader header, ReadOnlyMemory<byte> payload)
    {
        if (!_streams.TryGetValue(header.Serial, out var stream) || header.Procedure != stream.Procedure || header.Program != stream.Program)
        {
            Log.Dropped(_logger, Peer, header.Program, header.Procedure, (int)header.Type);
            return;
        }

        if (header.Type == RpcMessageType.StreamHole)
        {
            stream.Abort(RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc, "Unexpected stream hole", "%s", "Unexpected stream hole"));
            return;
        }

        switch (header.Status)
        {
            case RpcStatus.Continue:
                try
                {
                    await stream.WriteIncomingAsync(payload.ToArray(), _closing.Token).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    // The server side already ended the stream; late data is dropped.
                }

                break;
            case RpcStatus.Ok or RpcStatus.Error:
                // Finish or abort: end the stream and confirm with an empty Ok packet on the stream's serial.
                _streams.TryRemove(header.Serial, out _);
                stream.End(header.Status == RpcStatus.Ok ? null : new RpcStreamAbortedException("the client aborted the stream"));
                TryQueue(header with { Type = RpcMessageType.Stream, Status = RpcStatus.Ok }, XdrVoid.Instance);
                break;
            default:
                Log.Dropped(_logger, Peer, header.Program, header.Procedure, (int)header.Type);
                break;
        }
    }

    private void DiscardStream(uint serial)
    {
        if (_streams.TryRemove(serial, out var stream))
        {
            stream.End(new RpcStreamAbortedException("the call that opened the stream failed"));
        }
    }

    private async Task CompleteAsync(RpcHeader header, ValueTask<IXdrWritable> call)
    {
        try
        {
            Replied(header, await call.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            Fail(header, ex);
        }
        finally
        {
            _requests.Release();
        }
    }

    private void Replied(in RpcHeader header, IXdrWritable result)
    {
        TryQueue(header.ToReply(RpcStatus.Ok), result);
        if (_streams.TryGetValue(header.Serial, out var stream))
        {
            stream.MarkReplied();
        }
    }

    /// <summary>The error reply for a call that threw, as libvirt words it.</summary>
    private void Fail(in RpcHeader header, Exception exception)
    {
        switch (exception)
        {
            case RpcRemoteException ex:
                Reply(header, ex.Error);
                break;
            case RpcProcedureNotImplementedException ex:
                Reply(header, RemoteError.UnknownProcedure(ex.Procedure));
                break;
            case XdrFormatException ex:
                Log.DecodeFailed(_logger, Peer, header.Procedure, ex.Message);
                Reply(header, RemoteError.DecodeFailed());
                break;
            case OperationCanceledException when _closing.IsCancellationRequested:
                break;
            default:
                Log.Unexpected(_logger, Peer, exception);
                var text = "internal error: " + exception.Message;
                Reply(header, RemoteError.Create(VirtErrorCode.InternalError, VirtErrorDomain.Rpc, text, "internal error: %s", exception.Message));
                break;
        }
    }

    private void Reply(in RpcHeader header, RemoteError error)
    {
        DiscardStream(header.Serial);
        TryQueue(header.ToReply(RpcStatus.Error), error);
    }

    private async Task KeepaliveLoopAsync()
    {
        if (_options.KeepaliveInterval <= 0)
        {
            return;
        }

        var interval = TimeSpan.FromSeconds(_options.KeepaliveInterval);
        var missed = 0;
        var heardAtPing = 0L;
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                await Task.Delay(interval, _options.TimeProvider, _closing.Token).ConfigureAwait(false);
                if (Volatile.Read(ref _keepaliveStarted) == 0)
                {
                    continue;
                }

                // Anything heard since the last ping answers it (libvirt resets its count on every packet): a pong
                // that came just after the ping must not look like silence to a tick that comes a little late.
                var heard = Interlocked.Read(ref _lastReceivedTicks);
                if (heard != heardAtPing)
                {
                    missed = 0;
                }

                if (_options.TimeProvider.GetElapsedTime(heard) < interval)
                {
                    continue;
                }

                if (missed >= _options.KeepaliveCount)
                {
                    Close("connection closed due to keepalive timeout");
                    return;
                }

                missed++;
                heardAtPing = heard;
                TryQueue(new RpcHeader(KeepaliveProgram, 1, KeepalivePing, RpcMessageType.Message, 0, RpcStatus.Ok), XdrVoid.Instance);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close(_closeReason ?? "disposed");
        // The token source and semaphore are left to the GC: in-flight calls may still touch them.
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Closing connection from {Peer}: {Reason}")]
        public static partial void Closing(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Connection from {Peer} closed: {Reason}")]
        public static partial void Closed(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Unexpected error serving {Peer}")]
        public static partial void Unexpected(ILogger logger, string peer, Exception exception);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Dropped packet from {Peer}: program {Program:x8} procedure {Procedure} type {Type}")]
        public static partial void Dropped(ILogger logger, string peer, uint program, int procedure, int type);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Undecodable payload for procedure {Procedure} from {Peer}: {Reason}")]
        public static partial void DecodeFailed(ILogger logger, string peer, int procedure, string reason);

        [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "Cannot encode the reply to procedure {Procedure} for {Peer}")]
        public static partial void EncodeFailed(ILogger logger, string peer, int procedure, Exception exception);
    }
}
