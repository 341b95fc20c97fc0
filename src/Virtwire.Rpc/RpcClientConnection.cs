using System.Buffers;
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

    /// <summary>
    /// How long a call that is alone on its connection waits for its reply on the calling thread, blocked in poll(2).
    /// A reply from a nearby server comes back well within it, so a sequential caller needs no other thread: the
    /// reply is read, decoded and returned synchronously, the way a C client works, for a fraction of the CPU of an
    /// asynchronous wake-up (a loop of such calls therefore does not yield; start concurrent work with Task.Run or
    /// Task.Yield). A slower reply, and calls in flight together on the connection, are read by one shared poller
    /// thread, and the connection returns to lone calls afterwards. After a reply that took over a fifth of the wait
    /// (1 ms by default), the next 2, 4 … 64 lone calls go straight to the poller: past that the saved hand-off
    /// (~20–40 µs of CPU) is a small part of the wait, a distant server does not keep a thread blocked, and calls
    /// started one after another without yielding go out together instead of each waiting out a round trip. Applies
    /// on plain unix and TCP sockets (not TLS or SSH), off UI threads, to at most one such wait per two cores in the
    /// process (none on one core), and until the connection first needs the background loop — events, stream data,
    /// or a lone call that could not wait — which then reads for good. (Why 5 ms and not less: poll(2) with a 1 ms
    /// timeout measured ~6 µs more CPU per call than with 5 ms.) <see cref="TimeSpan.Zero"/> to always use the loop.
    /// </summary>
    public TimeSpan CallerReadWait { get; init; } = TimeSpan.FromMilliseconds(5);
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
/// One client connection: any number of concurrent calls multiplexed by serial, keepalive answered. One party reads
/// at a time — a lone caller, the shared reply poller or the background loop (see <see cref="RpcClientOptions.CallerReadWait"/>);
/// calls made together leave through one writer loop. When the stream breaks every pending call fails at once.
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
    private int _inFlight;
    private int _awaitingReplies;
    private readonly System.Net.Sockets.Socket? _socket;
    private readonly Task _writer;

    // Reading: exactly one party reads the stream at a time — the background read loop, the shared reply poller, or
    // a call that is alone on the connection reading its own reply on its own thread (no hand-off between threads;
    // see CallerReadWait). The buffer and its window belong to whoever holds the role.
    private const int RoleNone = 0;
    private const int RoleLoop = 1;
    private const int RoleCaller = 2;
    private const int RolePoller = 3;
    private static int s_callerReaders;
    private static readonly int MaxCallerReaders = Environment.ProcessorCount / 2;
    private readonly byte[] _small = new byte[64 * 1024];
    private byte[] _buffer;
    private readonly long _callerReadTicks;
    private const int MaxSlowStreak = 6;
    private readonly long _slowReplyTicks;
    private int _slowStreak;
    private int _callerReadSkips;
    private int _start;
    private int _end;
    private int _readRole;
    private int _continuous;
    private Task _reader = Task.CompletedTask;
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
        _buffer = _small;
        // Lone calls read for themselves on a plain socket (unix or TCP; not TLS, whose records the stream decrypts).
        // They gain most on a socket that never had an asynchronous operation (see the client's transports): the
        // runtime's epoll set then does not wake its threads on every reply, whoever reads it.
        _socket = stream is System.Net.Sockets.NetworkStream
        {
            Socket.AddressFamily: System.Net.Sockets.AddressFamily.Unix or System.Net.Sockets.AddressFamily.InterNetwork or
                System.Net.Sockets.AddressFamily.InterNetworkV6,
        } plain ? plain.Socket : null;
        _callerReadTicks = _socket is null ? 0 : (long)(_options.CallerReadWait.TotalSeconds * _options.TimeProvider.TimestampFrequency);
        _slowReplyTicks = _callerReadTicks / 5;
        if (_callerReadTicks <= 0)
        {
            // Nobody but the loop will ever read: keep it reading.
            _continuous = 1;
        }

        // One sweep for every pending call's deadline instead of a timer per call (the per-call timer was the largest
        // cost of a call on the client), which also looks at a connection nobody is reading (keepalive pings, a
        // server that goes away). Resolution: a tenth of the timeout, 10 ms to 1 s.
        var timeout = _options.DefaultTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(10) : _options.DefaultTimeout;
        _timeoutTicks = _options.DefaultTimeout == Timeout.InfiniteTimeSpan
            ? long.MaxValue
            : (long)(_options.DefaultTimeout.TotalSeconds * _options.TimeProvider.TimestampFrequency);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 10, 10, 1000));
        _sweeper = _options.TimeProvider.CreateTimer(static state => ((RpcClientConnection)state!).OnTick(), this, period, period);

        if (_continuous != 0)
        {
            EnsureReader();
        }

        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Events and other one-way packets from the server, in arrival order. Asking for it keeps a read posted at all
    /// times, so packets arrive as the server sends them (otherwise a connection with no call in flight is read
    /// within a sweep period, about a second).
    /// </summary>
    public ChannelReader<RpcMessage> Messages
    {
        get
        {
            ReadContinuously();
            return _messages.Reader;
        }
    }

    /// <summary>Replies that arrived after their call was cancelled or timed out, and were discarded.</summary>
    public long LateReplies => Interlocked.Read(ref _lateReplies);

    /// <summary>Events dropped because nobody read them (the queue is bounded); never silent.</summary>
    public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    /// <summary>
    /// Cancelled when the connection breaks or is disposed. Asking for it keeps a read posted, so a server that goes
    /// away is noticed at once even while no call is in flight.
    /// </summary>
    public CancellationToken Closed
    {
        get
        {
            ReadContinuously();
            return _closing.Token;
        }
    }

    /// <summary>Keeps a read posted from now on, whether or not calls are in flight.</summary>
    public void ReadContinuously()
    {
        if (Interlocked.Exchange(ref _continuous, 1) == 0)
        {
            EnsureReader();
        }
    }

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
        // Stream data follows the reply unasked: the loop must be reading when it comes.
        ReadContinuously();
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
        var deadline = _timeoutTicks == long.MaxValue ? long.MaxValue : _options.TimeProvider.GetTimestamp() + _timeoutTicks;
        var pending = new PendingCall(header, deadline, _options.InlineCompletions);
        Interlocked.Increment(ref _awaitingReplies);
        _pending[serial] = pending;
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (state, token) => ((PendingCall)state!).TrySetCanceled(token), pending)
            : default;
        Interlocked.Increment(ref _inFlight);
        var callerReads = TryTakeCallerRole(out var parkInstead);
        try
        {
            // Re-check after registering: a break in between has already failed every registered call.
            ThrowIfBroken();
            var sent = callerReads ? _options.TimeProvider.GetTimestamp() : 0;
            await SendFrameAsync(frame, cancellationToken).ConfigureAwait(false);
            if (callerReads)
            {
                callerReads = false;
                if (ReadOwnReply(pending, sent))
                {
                    return await pending.Task.ConfigureAwait(false);
                }
            }
            else
            {
                ReadForOthers(parkInstead);
            }

            return await pending.Task.ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ThrowIfBroken();
            throw;
        }
        finally
        {
            if (callerReads)
            {
                // The send failed while this call held the read role.
                ReleaseCallerRole();
            }

            pending.Settle(ref _awaitingReplies);
            _pending.TryRemove(serial, out _);
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>A call that is alone on the connection takes the read role (see <see cref="RpcClientOptions.CallerReadWait"/>).</summary>
    /// <remarks>
    /// False with <paramref name="parkInstead"/> when the reply should be left to whoever reads (or to the poller),
    /// false without it when the background loop should read from now on.
    /// </remarks>
    private bool TryTakeCallerRole(out bool parkInstead)
    {
        parkInstead = false;
        // Not on a UI thread (a blocked wait would freeze it), and not once the loop reads: the runtime then watches
        // the socket with epoll and wakes on every reply anyway, so a blocked caller would save nothing.
        if (_callerReadTicks <= 0 || Volatile.Read(ref _continuous) != 0 || SynchronizationContext.Current is not null)
        {
            return false;
        }

        if (Volatile.Read(ref _readRole) != RoleNone)
        {
            // Someone reads already — the poller finishing with the previous reply, the sweep looking at an idle
            // socket, another caller. Whoever it is hands the role on when letting go while replies are awaited (the
            // loop never lets go), so this call relies on it; it must not move the connection to the loop for good.
            parkInstead = true;
            return false;
        }

        if (Volatile.Read(ref _callerReadSkips) > 0)
        {
            // The last lone reply was slow (a distant server, a long operation): rather than block a thread for it,
            // hand this one straight to the poller; after 2, 4 … 64 such calls a caller tries waiting again.
            Interlocked.Decrement(ref _callerReadSkips);
            parkInstead = true;
            return false;
        }

        if (Interlocked.Increment(ref s_callerReaders) > MaxCallerReaders)
        {
            Interlocked.Decrement(ref s_callerReaders);
            return false;
        }

        if (Interlocked.CompareExchange(ref _readRole, RoleCaller, RoleNone) != RoleNone)
        {
            Interlocked.Decrement(ref s_callerReaders);
            parkInstead = true;
            return false;
        }

        return true;
    }

    private void ReleaseCallerRole()
    {
        Interlocked.Decrement(ref s_callerReaders);
        ReleaseRole();
    }

    /// <summary>
    /// Gives the read role back, and hands it on if anyone still needs a read: to the loop when the connection reads
    /// continuously (or a partial packet waits), else to the poller while replies are awaited.
    /// </summary>
    private void ReleaseRole()
    {
        Volatile.Write(ref _readRole, RoleNone);
        Interlocked.MemoryBarrier();
        if (NeedsReader())
        {
            EnsureReader();
        }
        else if (Volatile.Read(ref _awaitingReplies) != 0)
        {
            TryPark();
        }
    }

    /// <summary>
    /// A call that does not read for itself makes sure someone reads for it. Calls in flight together on this
    /// connection (pipelining) are read by the poller thread, which takes over from a lone caller when it lets go
    /// while replies are still awaited; it reads them in bursts, one poll(2) and read per burst. A call that is alone
    /// here but could not read for itself (another connection's call holds the process's caller wait, a UI thread)
    /// moves the connection to the loop, as do continuous reading and inline completions: many connections busy at
    /// once are served better by the runtime's own socket engine than by one poller thread.
    /// </summary>
    private void ReadForOthers(bool parkInstead)
    {
        if (_callerReadTicks <= 0 || _options.InlineCompletions || Volatile.Read(ref _continuous) != 0 ||
            (Volatile.Read(ref _inFlight) <= 1 && !parkInstead))
        {
            ReadContinuously();
            return;
        }

        TryPark();
    }

    private void TryPark()
    {
        if (Volatile.Read(ref _broken) == 0 && Interlocked.CompareExchange(ref _readRole, RolePoller, RoleNone) == RoleNone &&
            !ParkedReplyPoller.Park(this))
        {
            // No poller here: the loop reads, for good.
            Volatile.Write(ref _continuous, 1);
            Volatile.Write(ref _readRole, RoleNone);
            EnsureReader();
        }
    }

    /// <summary>
    /// Reads on the calling thread, blocked in poll(2), until this call's reply has come (true) or no byte has come
    /// for the wait budget (false: the wait continues in the background). Other packets that arrive meanwhile are
    /// dispatched as the loop would; stream data is left to the loop, which can wait for room in the stream.
    /// </summary>
    private bool ReadOwnReply(PendingCall pending, long sent)
    {
        var done = false;
        try
        {
            while (true)
            {
                if (!DispatchBuffered())
                {
                    break;
                }

                if (pending.Task.IsCompleted)
                {
                    done = true;
                    if (_options.TimeProvider.GetTimestamp() - sent > _slowReplyTicks)
                    {
                        NoteSlowReply();
                    }
                    else
                    {
                        _slowStreak = 0;
                    }

                    break;
                }

                if (!ReceiveSome(_callerReadTicks))
                {
                    // Nothing came within the budget, or the connection broke (then every pending call has failed).
                    done = pending.Task.IsCompleted;
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Break(new RpcConnectionException("connection to the server was lost: " + ex.Message, ex));
            done = true;
        }

        // A break (bad length word, end of stream) has failed the call already: nothing is left to wait for.
        done |= pending.Task.IsCompleted || Volatile.Read(ref _broken) != 0;
        if (!done)
        {
            if (!_options.InlineCompletions && Volatile.Read(ref _continuous) == 0)
            {
                // Slow reply: the poller thread waits for it, and the connection returns to lone calls afterwards —
                // the next few without a wait of their own, more of them each time the wait is outlasted again.
                // (Not with inline completions, which would run the caller's code on that shared thread.)
                NoteSlowReply();
                Interlocked.Decrement(ref s_callerReaders);
                Volatile.Write(ref _readRole, RolePoller);
                if (ParkedReplyPoller.Park(this))
                {
                    return false;
                }

                // No poller here: back to holding the caller role, which the loop takes over below.
                Interlocked.Increment(ref s_callerReaders);
                Volatile.Write(ref _readRole, RoleCaller);
            }

            // The loop takes over for good (set before the role is let go, so the release posts it).
            Volatile.Write(ref _continuous, 1);
        }

        ReleaseCallerRole();
        return done;
    }

    /// <summary>A lone call's reply took over a fifth of the wait: the next 2, 4 … 64 lone calls leave their replies to the poller.</summary>
    private void NoteSlowReply()
    {
        _slowStreak = Math.Min(_slowStreak + 1, MaxSlowStreak);
        Volatile.Write(ref _callerReadSkips, 1 << _slowStreak);
    }

    /// <summary>
    /// Waits up to <paramref name="waitTicks"/> (blocked in poll(2)) for bytes and appends what has come to the
    /// buffer. False when nothing came in time, or when the connection ended (it is then broken).
    /// </summary>
    private bool ReceiveSome(long waitTicks)
    {
        var clock = _options.TimeProvider;
        var micros = waitTicks <= 0 ? 0 : (int)Math.Clamp(waitTicks * 1_000_000 / clock.TimestampFrequency, 1, int.MaxValue);
        if (!_socket!.Poll(micros, System.Net.Sockets.SelectMode.SelectRead))
        {
            return false;
        }

        MakeRoom();
        var n = _socket.Receive(_buffer.AsSpan(_end), System.Net.Sockets.SocketFlags.None, out var error);
        if (error == System.Net.Sockets.SocketError.WouldBlock)
        {
            return true;
        }

        if (error != System.Net.Sockets.SocketError.Success || n == 0)
        {
            Break(new RpcConnectionException(error != System.Net.Sockets.SocketError.Success
                ? "connection to the server was lost: " + new System.Net.Sockets.SocketException((int)error).Message
                : _start == _end ? "the server closed the connection" : "the server closed the connection in the middle of a packet"));
            return false;
        }

        _end += n;
        return true;
    }

    /// <summary>
    /// Dispatches every whole packet in the buffer except stream data. False when the next packet is stream data
    /// (the loop takes it: it may have to wait for room in the stream) or the length word broke the connection.
    /// </summary>
    private bool DispatchBuffered()
    {
        while (_end - _start >= RpcLimits.LengthWordSize)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start));
            if (!RpcFrameScanner.IsValidLength(length, _options.MaxMessageSize, out var error))
            {
                Break(new RpcConnectionException("protocol error from the server: " + error) { IsTransient = false });
                return false;
            }

            if (_end - _start < length)
            {
                break;
            }

            var packet = _buffer.AsSpan(_start + RpcLimits.LengthWordSize, (int)length - RpcLimits.LengthWordSize);
            var header = RpcHeader.Read(packet);
            if (IsStreamPacket(header))
            {
                return false;
            }

            _start += (int)length;
            Interlocked.Exchange(ref _lastReceived, _options.TimeProvider.GetTimestamp());
            Dispatch(header, packet[RpcLimits.HeaderSize..]);
        }

        ShrinkIfEmpty();
        return true;
    }

    private static bool IsStreamPacket(in RpcHeader header) =>
        header.Type is RpcMessageType.Stream or RpcMessageType.StreamHole && header.Program != RpcServerConnection.KeepaliveProgram;

    /// <summary>
    /// Makes room behind the buffered bytes for the rest of the packet they start: moves them to the front, and
    /// when the packet is larger than the buffer, reads into a pooled buffer of its size until it has been handled.
    /// </summary>
    private void MakeRoom()
    {
        var needed = RpcLimits.LengthWordSize;
        if (_end - _start >= RpcLimits.LengthWordSize)
        {
            // The length word was checked against the limit when the buffer was parsed.
            needed = (int)Math.Max(BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start)), RpcLimits.LengthWordSize);
        }

        if (needed > _buffer.Length)
        {
            var large = ArrayPool<byte>.Shared.Rent(needed);
            _buffer.AsSpan(_start, _end - _start).CopyTo(large);
            if (_buffer != _small)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = large;
            _end -= _start;
            _start = 0;
        }
        else if (_start > 0 && _buffer.Length - _start < needed)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        else if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>Goes back to the small buffer once a large packet has been handled.</summary>
    private void ShrinkIfEmpty()
    {
        if (_start != _end)
        {
            return;
        }

        _start = _end = 0;
        if (_buffer != _small)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = _small;
        }
    }

    /// <summary>Whether the poller thread reads for this connection now (tests).</summary>
    internal bool IsParked => Volatile.Read(ref _readRole) == RolePoller;

    /// <summary>The socket the poller watches while this connection is parked with it.</summary>
    internal System.Net.Sockets.Socket ParkedSocket => _socket!;

    /// <summary>
    /// On the poller thread, with the poller role: reads what has come and dispatches it. True to stay parked
    /// (replies still awaited, or a partial packet); false once the role is given up — back to lone calls, or to
    /// the loop when the connection now needs it (events, stream data), or because the connection ended.
    /// </summary>
    internal bool OnParkedReadable()
    {
        try
        {
            if (!ReceiveSome(0))
            {
                return IsConnected;
            }

            if (!DispatchBuffered() || Volatile.Read(ref _continuous) != 0)
            {
                if (!IsConnected)
                {
                    return false;
                }

                Volatile.Write(ref _readRole, RoleNone);
                EnsureReader();
                return false;
            }

            if (Volatile.Read(ref _awaitingReplies) != 0 || _end != _start)
            {
                return true;
            }

            // Let go; a call that came meanwhile saw the poller role and relies on it, so look once more.
            Volatile.Write(ref _readRole, RoleNone);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _awaitingReplies) != 0 && Interlocked.CompareExchange(ref _readRole, RolePoller, RoleNone) == RoleNone)
            {
                return true;
            }

            if (NeedsReader())
            {
                EnsureReader();
            }

            return false;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Break(new RpcConnectionException("connection to the server was lost: " + ex.Message, ex));
            return false;
        }
    }

    private bool NeedsReader() => Volatile.Read(ref _continuous) != 0 || _end != _start;

    /// <summary>Posts the background loop unless someone holds the read role.</summary>
    private void EnsureReader()
    {
        if (Volatile.Read(ref _broken) == 0 && Interlocked.CompareExchange(ref _readRole, RoleLoop, RoleNone) == RoleNone)
        {
            _reader = ReadLoopAsync();
        }
    }

    private void OnTick()
    {
        if (_timeoutTicks != long.MaxValue)
        {
            SweepTimeouts();
        }

        if (_socket is null || Volatile.Read(ref _readRole) != RoleNone || Volatile.Read(ref _broken) != 0)
        {
            return;
        }

        // Nobody is reading (only lone calls have, lately): look without waiting, so a keepalive ping is answered
        // and a server that went away is noticed. Without an asynchronous read the socket never joins the runtime's
        // epoll set, whose wake-up on every reply would cost lone calls more than their own work.
        try
        {
            if (!_socket.Poll(0, System.Net.Sockets.SelectMode.SelectRead) ||
                Interlocked.CompareExchange(ref _readRole, RoleCaller, RoleNone) != RoleNone)
            {
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            if (ReceiveSome(0))
            {
                DispatchBuffered();
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Break(new RpcConnectionException("connection to the server was lost: " + ex.Message, ex));
        }
        finally
        {
            ReleaseRole();
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
            var heardAtPing = 0L;
            try
            {
                while (!_closing.IsCancellationRequested)
                {
                    await Task.Delay(interval, _options.TimeProvider, _closing.Token).ConfigureAwait(false);

                    // Anything heard since the last ping answers it, as libvirt counts (see the server's loop).
                    var heard = Interlocked.Read(ref _lastReceived);
                    if (heard != heardAtPing)
                    {
                        missed = 0;
                    }

                    if (_options.TimeProvider.GetElapsedTime(heard) < interval)
                    {
                        continue;
                    }

                    if (missed >= count)
                    {
                        Break(new RpcConnectionException("connection closed due to keepalive timeout"));
                        return;
                    }

                    missed++;
                    heardAtPing = heard;
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

    /// <summary>
    /// The background reader, started once a connection needs more than lone calls (calls in flight together, a
    /// slow reply, event consumers, stream data, a partial packet) and reading from then on.
    /// </summary>
    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                // Packets already buffered first: a lone call may have left some behind. Dispatching stops at stream
                // data, which is handled here because it may wait for room in its stream.
                while (!DispatchBuffered())
                {
                    if (Volatile.Read(ref _broken) != 0)
                    {
                        return;
                    }

                    var length = (int)BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start));
                    var packet = _buffer.AsSpan(_start + RpcLimits.LengthWordSize, length - RpcLimits.LengthWordSize);
                    var header = RpcHeader.Read(packet);
                    var data = packet[RpcLimits.HeaderSize..].ToArray();
                    _start += length;
                    Interlocked.Exchange(ref _lastReceived, _options.TimeProvider.GetTimestamp());
                    if (_streams.TryGetValue(header.Serial, out var stream))
                    {
                        // Stream data waits for room in its stream (backpressure on the socket, as libvirt's client).
                        await stream.OnPacketAsync(header, data, _closing.Token).ConfigureAwait(false);
                    }
                }

                MakeRoom();
                var n = await _stream.ReadAsync(_buffer.AsMemory(_end), _closing.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    Break(new RpcConnectionException(_start == _end
                        ? "the server closed the connection"
                        : "the server closed the connection in the middle of a packet"));
                    return;
                }

                _end += n;
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
    }

    private void Dispatch(in RpcHeader header, ReadOnlySpan<byte> payload)
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
                    call.Settle(ref _awaitingReplies);
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
    /// Sends a whole frame: written by the calling thread when it is the only call in flight and nothing is being
    /// written or queued (no hand-off to the writer loop, the common case of one call at a time); with other calls in
    /// flight it is queued, so the frames of calls made together leave in one write. Frames are never interleaved,
    /// and a frame is never cut short by a caller's cancellation.
    /// </summary>
    private async ValueTask SendFrameAsync(byte[] frame, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _inFlight) <= 1 && Volatile.Read(ref _queued) == 0 && _writeGate.Wait(0, CancellationToken.None))
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
        if (Volatile.Read(ref _readRole) == RolePoller)
        {
            // The poller holds this socket in poll(2): have it let go, so the socket can close.
            ParkedReplyPoller.Wake();
        }

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
        private int _unsettled = 1;

        public long Deadline { get; } = deadline;

        /// <summary>Uncounts the call from the replies awaited, once: when its reply is dispatched or it ends without one.</summary>
        public void Settle(ref int awaiting)
        {
            if (Interlocked.Exchange(ref _unsettled, 0) == 1)
            {
                Interlocked.Decrement(ref awaiting);
            }
        }

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
