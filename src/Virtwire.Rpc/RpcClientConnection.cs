using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Virtwire.Xdr;

namespace Virtwire.Rpc;

/// <summary>Timeouts, keepalive and limits of a client connection.</summary>
public sealed record RpcClientOptions
{
    public static RpcClientOptions Default { get; } = new();

    /// <summary>How long a call may wait for its reply; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest packet accepted from the server, excluding the length word.</summary>
    public int MaxMessageSize { get; init; } = RpcLimits.MaxMessageSize;

    /// <summary>Events buffered for a consumer that is not reading; beyond it the oldest are dropped and counted.</summary>
    public int MessageQueueCapacity { get; init; } = 10_000;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The awaiting caller resumes on the thread that read its reply instead of being queued to the thread pool. With
    /// .NET's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> that thread is the socket engine's, so a call costs
    /// one thread and no hand-offs — how a synchronous C client spends its time. The price: code after an
    /// <c>await</c> of a call runs on the reader, so it must not block on another call of the same connection
    /// (sync-over-async would deadlock it) and should not compute for long. Off by default.
    /// </summary>
    public bool InlineCompletions { get; init; }
}

/// <summary>A one-way packet from the server (an event), undecoded.</summary>
public sealed record RpcMessage(RpcHeader Header, byte[] Payload);

/// <summary>The connection to the server is gone; every pending and later call fails with this.</summary>
public sealed class RpcConnectionException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>Reconnecting may help (the server or network went away, not a protocol violation).</summary>
    public bool IsTransient { get; init; } = true;
}

/// <summary>A call got no reply within its timeout.</summary>
public sealed class RpcTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// One client connection: any number of concurrent calls multiplexed by serial, one read loop, one
/// writer loop, keepalive answered. When the stream breaks every pending call fails at once.
/// </summary>
public sealed partial class RpcClientConnection : IRpcInvoker, IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly RpcClientOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<uint, PendingCall> _pending = new();
    private readonly ConcurrentDictionary<uint, RpcClientStream> _streams = new();
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<RpcMessage> _messages;
    private readonly CancellationTokenSource _closing = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _queued;
    private readonly Task _reader;
    private readonly Task _writer;
    private readonly ITimer? _sweeper;
    private readonly long _timeoutTicks;
    private uint _serial = uint.MaxValue;
    private int _broken;
    private int _disposed;
    private long _lateReplies;
    private long _droppedMessages;
    private long _lastReceived;
    private Task? _keepalive;
    private RpcConnectionException? _failure;

    public RpcClientConnection(Stream stream, RpcClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _options = options ?? RpcClientOptions.Default;
        _logger = _options.LoggerFactory.CreateLogger("Virtwire.Rpc.Client");
        _messages = Channel.CreateBounded<RpcMessage>(new BoundedChannelOptions(_options.MessageQueueCapacity)
        {
            SingleReader = false,
            FullMode = BoundedChannelFullMode.DropOldest,
        }, _ => Interlocked.Increment(ref _droppedMessages));
        _lastReceived = _options.TimeProvider.GetTimestamp();
        if (_options.DefaultTimeout != Timeout.InfiniteTimeSpan)
        {
            // One sweep for every pending call's deadline instead of a timer per call (the per-call timer
            // was the largest cost of a call on the client). Resolution: a tenth of the timeout, 10 ms to 1 s.
            _timeoutTicks = (long)(_options.DefaultTimeout.TotalSeconds * _options.TimeProvider.TimestampFrequency);
            var period = TimeSpan.FromMilliseconds(Math.Clamp(_options.DefaultTimeout.TotalMilliseconds / 10, 10, 1000));
            _sweeper = _options.TimeProvider.CreateTimer(static state => ((RpcClientConnection)state!).SweepTimeouts(), this, period, period);
        }

        _reader = Task.Run(ReadLoopAsync);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Events and other one-way packets from the server, in arrival order.</summary>
    public ChannelReader<RpcMessage> Messages => _messages.Reader;

    /// <summary>Replies that arrived after their call was cancelled or timed out, and were discarded.</summary>
    public long LateReplies => Interlocked.Read(ref _lateReplies);

    /// <summary>Events dropped because nobody read them (the queue is bounded); never silent.</summary>
    public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    /// <summary>Cancelled when the connection breaks or is disposed.</summary>
    public CancellationToken Closed => _closing.Token;

    /// <summary>Why the connection ended, once it has.</summary>
    public RpcConnectionException? Failure => Volatile.Read(ref _failure);

    public bool IsConnected => Volatile.Read(ref _broken) == 0;

    public async ValueTask<TResult> InvokeAsync<TArgs, TResult>(RpcProcedure<TArgs, TResult> procedure, TArgs args, CancellationToken cancellationToken)
        where TArgs : IXdrType<TArgs>
        where TResult : IXdrType<TResult>
    {
        ArgumentNullException.ThrowIfNull(procedure);
        var reply = await CallAsync(procedure.Program, procedure.Version, procedure.Number, args, cancellationToken).ConfigureAwait(false);
        if (reply.Header.Status == RpcStatus.Error)
        {
            throw new RpcRemoteException(XdrCodec.Decode<RemoteError>(reply.Payload));
        }

        return XdrCodec.Decode<TResult>(reply.Payload);
    }

    /// <summary>Sends one call and returns its raw reply (header and payload).</summary>
    public ValueTask<RpcMessage> CallAsync<TArgs>(uint program, uint version, int procedure, TArgs args, CancellationToken cancellationToken)
        where TArgs : IXdrWritable =>
        CallAsync(program, version, procedure, args, null, cancellationToken);

    /// <summary>
    /// Calls a procedure that opens a stream (e.g. DOMAIN_OPEN_CONSOLE). The stream is registered before the call
    /// is sent, so data the server sends right after its reply is never lost; a failed call throws
    /// <see cref="RpcRemoteException"/> and leaves no stream behind.
    /// </summary>
    public async ValueTask<RpcClientStream> OpenStreamAsync<TArgs>(uint program, uint version, int procedure, TArgs args, CancellationToken cancellationToken)
        where TArgs : IXdrWritable
    {
        RpcClientStream? stream = null;
        RpcMessage reply;
        try
        {
            reply = await CallAsync(program, version, procedure, args, call =>
            {
                stream = new RpcClientStream(this, call, 1024);
                _streams[call.Serial] = stream;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (stream is not null)
            {
                RemoveStream(stream);
            }

            throw;
        }

        if (reply.Header.Status == RpcStatus.Error)
        {
            RemoveStream(stream!);
            throw new RpcRemoteException(XdrCodec.Decode<RemoteError>(reply.Payload));
        }

        if (Volatile.Read(ref _broken) != 0)
        {
            stream!.Fail(_failure ?? new RpcConnectionException("the connection is closed"));
        }

        return stream!;
    }

    internal void RemoveStream(RpcClientStream stream) => _streams.TryRemove(new KeyValuePair<uint, RpcClientStream>(stream.Serial, stream));

    /// <summary>Queues a packet whose payload is raw bytes (stream data).</summary>
    internal async ValueTask SendRawAsync(RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ThrowIfBroken();
        var frame = new byte[RpcFrameWriter.FrameSize(payload.Length)];
        RpcFrameWriter.WriteRaw(frame, header, payload.Span);
        try
        {
            await SendFrameAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ThrowIfBroken();
            throw;
        }
    }

    private async ValueTask<RpcMessage> CallAsync<TArgs>(uint program, uint version, int procedure, TArgs args, Action<RpcHeader>? beforeSend,
        CancellationToken cancellationToken)
        where TArgs : IXdrWritable
    {
        ThrowIfBroken();
        var serial = Interlocked.Increment(ref _serial);
        var header = new RpcHeader(program, version, procedure, RpcMessageType.Call, serial, RpcStatus.Ok);
        beforeSend?.Invoke(header);
        var frame = RpcFrameWriter.ToArray(header, args);
        var deadline = _sweeper is null ? long.MaxValue : _options.TimeProvider.GetTimestamp() + _timeoutTicks;
        var pending = new PendingCall(header, deadline, _options.InlineCompletions);
        _pending[serial] = pending;
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (state, token) => ((PendingCall)state!).TrySetCanceled(token), pending)
            : default;
        try
        {
            // Re-check after registering: a break in between has already failed every registered call.
            ThrowIfBroken();
            await SendFrameAsync(frame, cancellationToken).ConfigureAwait(false);
            return await pending.Task.ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ThrowIfBroken();
            throw;
        }
        finally
        {
            _pending.TryRemove(serial, out _);
        }
    }

    private void SweepTimeouts()
    {
        var now = _options.TimeProvider.GetTimestamp();
        foreach (var entry in _pending)
        {
            if (now >= entry.Value.Deadline)
            {
                entry.Value.TrySetException(new RpcTimeoutException(
                    $"no reply to procedure {entry.Value.Procedure} within {_options.DefaultTimeout.TotalSeconds:0.###} s"));
            }
        }
    }

    /// <summary>Sends a one-way packet (keepalive, stream data) without waiting.</summary>
    public void Send(in RpcHeader header, IXdrWritable body)
    {
        ThrowIfBroken();
        Interlocked.Increment(ref _queued);
        if (!_outgoing.Writer.TryWrite(RpcFrameWriter.ToArray(header, body)))
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    /// <summary>
    /// Pings the server after <paramref name="interval"/> of silence and declares it dead after
    /// <paramref name="count"/> unanswered pings, as libvirt's keepalive does (protocol-facts §2.1).
    /// </summary>
    public void StartKeepalive(TimeSpan interval, int count)
    {
        if (interval <= TimeSpan.Zero || _keepalive is not null)
        {
            return;
        }

        _keepalive = Task.Run(async () =>
        {
            var missed = 0;
            try
            {
                while (!_closing.IsCancellationRequested)
                {
                    await Task.Delay(interval, _options.TimeProvider, _closing.Token).ConfigureAwait(false);
                    if (_options.TimeProvider.GetElapsedTime(Interlocked.Read(ref _lastReceived)) < interval)
                    {
                        missed = 0;
                        continue;
                    }

                    if (missed >= count)
                    {
                        Break(new RpcConnectionException("connection closed due to keepalive timeout"));
                        return;
                    }

                    missed++;
                    Send(new RpcHeader(RpcServerConnection.KeepaliveProgram, 1, 1, RpcMessageType.Message, 0, RpcStatus.Ok), XdrVoid.Instance);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcConnectionException)
            {
            }
        });
    }

    private void ThrowIfBroken()
    {
        if (Volatile.Read(ref _broken) != 0)
        {
            throw _failure ?? new RpcConnectionException("the connection is closed");
        }
    }

    private async Task ReadLoopAsync()
    {
        // Replies are parsed out of one buffer: a burst of pipelined replies costs one read, not two per reply.
        var buffer = new byte[64 * 1024];
        var start = 0;
        var end = 0;
        try
        {
            while (true)
            {
                if (end - start < RpcLimits.LengthWordSize)
                {
                    if (!await FillAsync(RpcLimits.LengthWordSize).ConfigureAwait(false))
                    {
                        Break(new RpcConnectionException(start == end
                            ? "the server closed the connection"
                            : "the server closed the connection in the middle of a packet"));
                        return;
                    }
                }

                var length = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(start));
                if (!RpcFrameScanner.IsValidLength(length, _options.MaxMessageSize, out var error))
                {
                    Break(new RpcConnectionException("protocol error from the server: " + error) { IsTransient = false });
                    return;
                }

                byte[] packet;
                var packetLength = (int)length - RpcLimits.LengthWordSize;
                if (length <= buffer.Length)
                {
                    if (end - start < length && !await FillAsync((int)length).ConfigureAwait(false))
                    {
                        Break(new RpcConnectionException("the server closed the connection in the middle of a packet"));
                        return;
                    }

                    packet = buffer.AsSpan(start + RpcLimits.LengthWordSize, packetLength).ToArray();
                    start += (int)length;
                }
                else
                {
                    // Larger than the buffer: take what is buffered, read the rest straight into the packet.
                    packet = new byte[packetLength];
                    var buffered = end - start - RpcLimits.LengthWordSize;
                    buffer.AsSpan(start + RpcLimits.LengthWordSize, buffered).CopyTo(packet);
                    start = end = 0;
                    if (!await ReadExactAsync(packet.AsMemory(buffered)).ConfigureAwait(false))
                    {
                        Break(new RpcConnectionException("the server closed the connection in the middle of a packet"));
                        return;
                    }
                }

                Interlocked.Exchange(ref _lastReceived, _options.TimeProvider.GetTimestamp());
                var header = RpcHeader.Read(packet);
                if (header.Type is RpcMessageType.Stream or RpcMessageType.StreamHole && header.Program != RpcServerConnection.KeepaliveProgram)
                {
                    // Stream data waits for room in its stream (backpressure on the socket, as libvirt's client).
                    if (_streams.TryGetValue(header.Serial, out var stream))
                    {
                        await stream.OnPacketAsync(header, packet[RpcLimits.HeaderSize..], _closing.Token).ConfigureAwait(false);
                    }

                    continue;
                }

                Dispatch(header, packet.AsMemory(RpcLimits.HeaderSize));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            Break(new RpcConnectionException("connection to the server was lost: " + ex.Message, ex));
        }
        catch (Exception ex)
        {
            Log.Unexpected(_logger, ex);
            Break(new RpcConnectionException("internal error reading from the server: " + ex.Message, ex) { IsTransient = false });
        }

        // Reads until at least `needed` bytes are buffered from `start`, compacting first; false at end of stream.
        async ValueTask<bool> FillAsync(int needed)
        {
            if (start > 0)
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }

            while (end < needed)
            {
                var n = await _stream.ReadAsync(buffer.AsMemory(end), _closing.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return false;
                }

                end += n;
            }

            return true;
        }
    }

    private async ValueTask<bool> ReadExactAsync(Memory<byte> destination)
    {
        var read = 0;
        while (read < destination.Length)
        {
            var n = await _stream.ReadAsync(destination[read..], _closing.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private void Dispatch(in RpcHeader header, ReadOnlyMemory<byte> payload)
    {
        if (header.Program == RpcServerConnection.KeepaliveProgram)
        {
            if (header.Procedure == 1)
            {
                Send(header with { Procedure = 2, Serial = 0 }, XdrVoid.Instance);
            }

            return;
        }

        switch (header.Type)
        {
            case RpcMessageType.Reply or RpcMessageType.ReplyWithFds:
                if (_pending.TryGetValue(header.Serial, out var call) && call.Matches(header))
                {
                    call.TrySetResult(new RpcMessage(header, payload.ToArray()));
                }
                else if (header.Status == RpcStatus.Error && _streams.TryGetValue(header.Serial, out var stream))
                {
                    // An error about an open stream (e.g. its finish failed) comes as a reply with the stream's serial.
                    _ = stream.OnPacketAsync(header, payload.ToArray(), CancellationToken.None);
                }
                else
                {
                    // The caller gave up (cancelled or timed out): discard, the connection stays healthy.
                    Interlocked.Increment(ref _lateReplies);
                    Log.LateReply(_logger, header.Serial, header.Procedure);
                }

                break;
            case RpcMessageType.Message:
                _messages.Writer.TryWrite(new RpcMessage(header, payload.ToArray()));
                break;
            default:
                Log.Ignored(_logger, (int)header.Type, header.Procedure);
                break;
        }
    }

    private async Task WriteLoopAsync()
    {
        // Frames queued while a write is in flight go out together: one write for a burst of pipelined calls.
        var batch = new byte[64 * 1024];
        try
        {
            var reader = _outgoing.Reader;
            while (await reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
            {
                await _writeGate.WaitAsync(_closing.Token).ConfigureAwait(false);
                try
                {
                    var used = 0;
                    while (reader.TryRead(out var frame))
                    {
                        Interlocked.Decrement(ref _queued);
                        if (used + frame.Length > batch.Length)
                        {
                            if (used > 0)
                            {
                                await _stream.WriteAsync(batch.AsMemory(0, used), _closing.Token).ConfigureAwait(false);
                                used = 0;
                            }

                            if (frame.Length > batch.Length)
                            {
                                await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
                                continue;
                            }
                        }

                        frame.CopyTo(batch.AsSpan(used));
                        used += frame.Length;
                    }

                    if (used > 0)
                    {
                        await _stream.WriteAsync(batch.AsMemory(0, used), _closing.Token).ConfigureAwait(false);
                    }

                    await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
                }
                finally
                {
                    _writeGate.Release();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            Break(new RpcConnectionException("connection to the server was lost: " + ex.Message, ex));
        }
    }

    /// <summary>
    /// Sends a whole frame: written by the calling thread when nothing else is being written or queued (no hand-off
    /// to the writer loop, the common case of one call at a time), else queued behind what is. Frames are never
    /// interleaved, and a frame is never cut short by a caller's cancellation.
    /// </summary>
    private async ValueTask SendFrameAsync(byte[] frame, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _queued) == 0 && _writeGate.Wait(0, CancellationToken.None))
        {
            try
            {
                if (Volatile.Read(ref _queued) == 0)
                {
                    ThrowIfBroken();
                    try
                    {
                        await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
                        await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
                    {
                        Break(new RpcConnectionException("connection to the server was lost: " + ex.Message, ex));
                        ThrowIfBroken();
                    }

                    return;
                }
            }
            finally
            {
                _writeGate.Release();
            }
        }

        Interlocked.Increment(ref _queued);
        try
        {
            await _outgoing.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _queued);
            throw;
        }
    }

    /// <summary>Marks the connection broken once and fails every pending call, outside any lock.</summary>
    private void Break(RpcConnectionException failure)
    {
        if (Interlocked.Exchange(ref _broken, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _failure, failure);
        _outgoing.Writer.TryComplete();
        _messages.Writer.TryComplete(failure);
        foreach (var entry in _pending)
        {
            entry.Value.TrySetException(failure);
        }

        foreach (var stream in _streams.Values)
        {
            stream.Fail(failure);
        }

        _streams.Clear();
        _closing.Cancel();
        _sweeper?.Dispose();
        Log.Broken(_logger, failure.Message);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Break(new RpcConnectionException("the connection was closed by the client") { IsTransient = false });
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_reader, _writer).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    private sealed class PendingCall(RpcHeader call, long deadline, bool inline)
        : TaskCompletionSource<RpcMessage>(inline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Deadline { get; } = deadline;

        public int Procedure => call.Procedure;

        public bool Matches(in RpcHeader reply) =>
            reply.Program == call.Program && reply.Version == call.Version && reply.Procedure == call.Procedure;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Discarded a late reply (serial {Serial}, procedure {Procedure})")]
        public static partial void LateReply(ILogger logger, uint serial, int procedure);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Ignored a packet of type {Type} (procedure {Procedure})")]
        public static partial void Ignored(ILogger logger, int type, int procedure);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Connection closed: {Reason}")]
        public static partial void Broken(ILogger logger, string reason);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Unexpected error in the read loop")]
        public static partial void Unexpected(ILogger logger, Exception exception);
    }
}
