using System.Buffers;
using System.Buffers.Binary;

namespace Virtwire.Rpc;

// The incoming side. Reads go into one buffer and every complete packet in it is handled before the next read, so a
// burst of pipelined calls costs one read. The buffer is rented when data arrives and returned whenever it is empty
// and the reader is about to wait: an idle client holds no packet buffer (10,000 idle connections do not hold 10,000
// buffers), only a zero-byte read that completes when data is there.
public sealed partial class RpcServerConnection
{
    /// <summary>Bytes rented for reading when data arrives: a burst of small pipelined calls fits in one read.</summary>
    private const int ReadBufferSize = 16 * 1024;

    // Owned by the read loop.
    private byte[]? _readBuffer;
    private int _readStart;
    private int _readEnd;

    /// <summary>
    /// The read loop holds the writer while it works through packets that were already buffered, so their replies
    /// leave in one write rather than one each. Read loop only.
    /// </summary>
    private bool _corked;

    /// <summary>Whether the connection holds a read buffer or queued output now (tests: an idle client must hold neither).</summary>
    internal bool HoldsBuffers
    {
        get
        {
            lock (_writeLock)
            {
                return Volatile.Read(ref _readBuffer) is not null || _head is not null;
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                // Stop reading while this client has its maximum of calls in flight (max_client_requests). Packets
                // already buffered count too: none is looked at until a slot is free.
                if (!_requests.Wait(0))
                {
                    BeforeWaiting();
                    await _requests.WaitAsync(_closing.Token).ConfigureAwait(false);
                }

                var released = false;
                try
                {
                    RpcFrame frame;
                    int needed;
                    string? error;
                    OperationStatus status;
                    while ((status = TryTakeFrame(out frame, out needed, out error)) == OperationStatus.NeedMoreData)
                    {
                        Uncork();
                        if (_readStart == _readEnd)
                        {
                            // Nothing buffered: wait for data without a buffer. NetworkStream and SslStream complete a
                            // zero-byte read when data has arrived; a stream that completes it at once only costs the
                            // memory saving, as the read below then waits with the buffer.
                            var ready = _stream.ReadAsync(Memory<byte>.Empty, _closing.Token);
                            if (!ready.IsCompleted)
                            {
                                ReturnReadBuffer();
                                await ready.ConfigureAwait(false);
                            }
                            else
                            {
                                ready.GetAwaiter().GetResult();
                            }
                        }

                        var read = await _stream.ReadAsync(ReadSpace(needed), _closing.Token).ConfigureAwait(false);
                        if (read == 0)
                        {
                            if (_readStart != _readEnd)
                            {
                                Close("end of file in the middle of a packet");
                            }

                            return;
                        }

                        _readEnd += read;
                        Interlocked.Exchange(ref _lastReceivedTicks, _options.TimeProvider.GetTimestamp());
                    }

                    if (status == OperationStatus.InvalidData)
                    {
                        // The calls before the bad packet were answered; their replies are sent before the close.
                        Uncork();
                        Close(error!);
                        return;
                    }

                    if (frame.Header.Type is RpcMessageType.Stream or RpcMessageType.StreamHole && frame.Header.Program != KeepaliveProgram)
                    {
                        // May wait (the stream's queue is full): its data is copied before that, and the replies
                        // handled so far go out first.
                        Uncork();
                        await HandleStreamPacketAsync(frame.Header, frame.Payload).ConfigureAwait(false);
                        continue;
                    }

                    if (!_corked && _corkLimit > 0 && HasWholeFrameBuffered())
                    {
                        Cork();
                    }

                    released = Handle(frame);
                    if (_corked && (Volatile.Read(ref _queuedFrames) >= _corkLimit || Volatile.Read(ref _queuedBytes) >= BatchSize))
                    {
                        Uncork();
                    }
                }
                finally
                {
                    if (!released)
                    {
                        _requests.Release();
                    }
                }
            }
        }
        finally
        {
            Uncork();
            ReturnReadBuffer();
        }
    }

    /// <summary>
    /// Takes the next whole packet from the read buffer. A length word is judged as soon as it is there, before
    /// any room is made for the packet it announces (<see cref="RpcFrameScanner.IsValidLength"/>).
    /// </summary>
    private OperationStatus TryTakeFrame(out RpcFrame frame, out int needed, out string? error)
    {
        frame = default;
        error = null;
        var buffered = _readEnd - _readStart;
        if (buffered < RpcLimits.LengthWordSize)
        {
            needed = RpcLimits.LengthWordSize;
            return OperationStatus.NeedMoreData;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_readBuffer.AsSpan(_readStart));
        if (!RpcFrameScanner.IsValidLength(length, _options.MaxMessageSize, out error))
        {
            needed = 0;
            return OperationStatus.InvalidData;
        }

        needed = (int)length;
        if (buffered < needed)
        {
            return OperationStatus.NeedMoreData;
        }

        frame = RpcFrameScanner.Parse(_readBuffer.AsMemory(_readStart + RpcLimits.LengthWordSize, needed - RpcLimits.LengthWordSize));
        _readStart += needed;
        return OperationStatus.Done;
    }

    private bool HasWholeFrameBuffered()
    {
        var buffered = _readEnd - _readStart;
        return buffered >= RpcLimits.LengthWordSize && BinaryPrimitives.ReadUInt32BigEndian(_readBuffer.AsSpan(_readStart)) <= (uint)buffered;
    }

    /// <summary>
    /// Where the next read goes, with room for the whole of the packet being read (<paramref name="needed"/> bytes
    /// from its start, a length already checked): the buffer is rented if none is held, the partial packet moved
    /// to the front when it does not fit where it is, or into a buffer its size when it is bigger than this one.
    /// </summary>
    private Memory<byte> ReadSpace(int needed)
    {
        if (_readBuffer is null)
        {
            _readBuffer = ArrayPool<byte>.Shared.Rent(Math.Max(ReadBufferSize, needed));
            _readStart = _readEnd = 0;
        }
        else if (_readStart == _readEnd)
        {
            _readStart = _readEnd = 0;
        }

        if (_readStart + needed > _readBuffer.Length)
        {
            var buffered = _readEnd - _readStart;
            if (needed > _readBuffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(needed);
                _readBuffer.AsSpan(_readStart, buffered).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_readBuffer);
                _readBuffer = bigger;
            }
            else
            {
                _readBuffer.AsSpan(_readStart, buffered).CopyTo(_readBuffer);
            }

            _readStart = 0;
            _readEnd = buffered;
        }

        return _readBuffer.AsMemory(_readEnd);
    }

    /// <summary>The read loop is about to wait: replies held back go out, and an empty buffer goes back to the pool.</summary>
    private void BeforeWaiting()
    {
        Uncork();
        if (_readStart == _readEnd)
        {
            ReturnReadBuffer();
        }
    }

    private void ReturnReadBuffer()
    {
        if (_readBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = null;
        }

        _readStart = _readEnd = 0;
    }

    /// <summary>Holds the writer for the read loop, if nobody is writing.</summary>
    private void Cork()
    {
        lock (_writeLock)
        {
            if (_writing || _writeClosed)
            {
                return;
            }

            _writing = true;
        }

        _corked = true;
    }

    /// <summary>Lets go of the writer held by <see cref="Cork"/>, writing what was queued behind it.</summary>
    private void Uncork()
    {
        if (_corked)
        {
            _corked = false;
            WriteQueued();
        }
    }
}
