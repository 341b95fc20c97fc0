using System.Buffers;
using Virtwire.Xdr;

namespace Virtwire.Rpc;

// The outgoing side. There is no writer task: whoever produces a packet while nothing is being written becomes the
// writer and writes it at once from its own thread (no hand-off, which on a sequential client is most of a call's
// cost); packets produced while a write is in flight are encoded straight into a batch buffer, and the writer takes
// a whole batch per write. At most one thread writes at a time ("_writing"), so frames never interleave, and the
// batches go out in the order they were filled, so everything leaves in the order it was produced.
public sealed partial class RpcServerConnection
{
    /// <summary>Size of a batch buffer: small packets queued behind a write share one, and one write sends it.</summary>
    private const int BatchSize = 16 * 1024;

    /// <summary>
    /// Bytes of stream data that may wait behind a write before <see cref="SendRawAsync"/> waits: stream data is
    /// flow-controlled by the client's reading, and a few chunks in hand keep the socket busy.
    /// </summary>
    private const int MaxQueuedStreamBytes = 4 * RpcLimits.StreamChunkSize;

    private readonly Lock _writeLock = new();

    // All of these are guarded by _writeLock.
    private bool _writing;
    private bool _writeClosed;
    private OutgoingBatch? _head;
    private OutgoingBatch? _tail;
    private int _queuedFrames;
    private long _queuedBytes;
    private TaskCompletionSource? _roomForData;
    private TaskCompletionSource? _writerGone;

    /// <summary>Packets waiting behind the write in flight, in one rented buffer.</summary>
    private sealed class OutgoingBatch(byte[] buffer)
    {
        public byte[] Buffer = buffer;
        public int Length;
        public int Frames;
        public OutgoingBatch? Next;
    }

    private enum SendResult
    {
        Sent,
        Closed,
        Full,
    }

    private bool TryQueue(in RpcHeader header, IXdrWritable body)
    {
        try
        {
            return Send(header, body);
        }
        catch (InvalidOperationException ex)
        {
            // A reply that cannot be encoded (over a protocol maximum) becomes an error reply instead.
            Log.EncodeFailed(_logger, Peer, header.Procedure, ex);
            if (header.Type != RpcMessageType.Reply || header.Status != RpcStatus.Ok)
            {
                return false;
            }

            return Send(header with { Status = RpcStatus.Error },
                RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc, "Unable to encode message payload", "%s", "Unable to encode message payload"));
        }
    }

    /// <summary>Encodes and sends (or queues) one packet; false when the connection is closed or, now, overwhelmed.</summary>
    private bool Send(in RpcHeader header, IXdrWritable body)
    {
        var total = RpcFrameWriter.MeasureFrame(body);
        var full = false;
        lock (_writeLock)
        {
            if (_writeClosed)
            {
                return false;
            }

            if (_writing)
            {
                if (_queuedFrames >= _options.MaxOutgoingQueue)
                {
                    full = true;
                }
                else
                {
                    // Encoded in place: the packet is committed only once whole, so a payload that throws while
                    // writing leaves nothing behind.
                    var batch = ReserveQueued(total);
                    try
                    {
                        RpcFrameWriter.WriteMeasured(batch.Buffer.AsSpan(batch.Length, total), header, body, total);
                    }
                    catch
                    {
                        AbandonQueued(batch);
                        throw;
                    }

                    CommitQueued(batch, total);
                    return true;
                }
            }
            else
            {
                _writing = true;
            }
        }

        if (full)
        {
            NotReading();
            return false;
        }

        var frame = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            RpcFrameWriter.WriteMeasured(frame, header, body, total);
        }
        catch
        {
            // This thread holds the writer: hand on what others queued meanwhile before giving up.
            ArrayPool<byte>.Shared.Return(frame);
            WriteQueued();
            throw;
        }

        WriteFrom(frame, total);
        return true;
    }

    /// <summary>Queues a packet with a raw payload, waiting for room (stream data is flow-controlled, replies are not).</summary>
    internal async ValueTask SendRawAsync(RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var total = RpcFrameWriter.FrameSize(payload.Length);
        while (true)
        {
            var (result, room) = TrySendRaw(header, payload.Span, total);
            if (result == SendResult.Sent)
            {
                return;
            }

            if (result == SendResult.Closed)
            {
                throw new RpcStreamAbortedException("the client connection closed");
            }

            try
            {
                await room!.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_closing.IsCancellationRequested)
            {
                throw new RpcStreamAbortedException("the client connection closed");
            }
        }
    }

    private (SendResult Result, Task? Room) TrySendRaw(in RpcHeader header, ReadOnlySpan<byte> payload, int total)
    {
        lock (_writeLock)
        {
            if (_writeClosed)
            {
                return (SendResult.Closed, null);
            }

            if (_writing)
            {
                if (_queuedFrames >= _options.MaxOutgoingQueue || _queuedBytes >= MaxQueuedStreamBytes)
                {
                    _roomForData ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return (SendResult.Full, _roomForData.Task);
                }

                var batch = ReserveQueued(total);
                RpcFrameWriter.WriteRaw(batch.Buffer.AsSpan(batch.Length, total), header, payload);
                CommitQueued(batch, total);
                return (SendResult.Sent, null);
            }

            _writing = true;
        }

        var frame = ArrayPool<byte>.Shared.Rent(total);
        RpcFrameWriter.WriteRaw(frame, header, payload);
        WriteFrom(frame, total);
        return (SendResult.Sent, null);
    }

    private void NotReading()
    {
        if (_closeReason is null)
        {
            Close($"client is not reading: more than {_options.MaxOutgoingQueue} packets queued");
        }
    }

    /// <summary>
    /// The batch a packet of <paramref name="total"/> bytes goes into: the last one if it has room, else a new one,
    /// which joins the queue with its first packet (<see cref="CommitQueued"/>).
    /// </summary>
    private OutgoingBatch ReserveQueued(int total) =>
        _tail is { } tail && tail.Buffer.Length - tail.Length >= total
            ? tail
            : new OutgoingBatch(ArrayPool<byte>.Shared.Rent(Math.Max(BatchSize, total)));

    /// <summary>A packet could not be encoded into <paramref name="batch"/>: a new batch goes back to the pool.</summary>
    private static void AbandonQueued(OutgoingBatch batch)
    {
        if (batch.Frames == 0)
        {
            ArrayPool<byte>.Shared.Return(batch.Buffer);
        }
    }

    private void CommitQueued(OutgoingBatch batch, int total)
    {
        if (batch.Frames == 0)
        {
            if (_tail is null)
            {
                _head = batch;
            }
            else
            {
                _tail.Next = batch;
            }

            _tail = batch;
        }

        batch.Length += total;
        batch.Frames++;
        _queuedFrames++;
        _queuedBytes += total;
    }

    /// <summary>
    /// Called by the thread that holds the writer: takes the next batch to write, or gives the writer up when there
    /// is none (or the connection is closing, when what is queued is dropped).
    /// </summary>
    private bool TryTakeQueued(out byte[] buffer, out int length)
    {
        TaskCompletionSource? room = null;
        TaskCompletionSource? gone = null;
        bool taken;
        lock (_writeLock)
        {
            var batch = _head;
            if (batch is null || _writeClosed)
            {
                taken = false;
                _writing = false;
                DropQueued();
                room = _roomForData;
                _roomForData = null;
                gone = _writerGone;
                buffer = [];
                length = 0;
            }
            else
            {
                taken = true;
                _head = batch.Next;
                if (_head is null)
                {
                    _tail = null;
                }

                _queuedFrames -= batch.Frames;
                _queuedBytes -= batch.Length;
                buffer = batch.Buffer;
                length = batch.Length;
                if (_queuedBytes < MaxQueuedStreamBytes && _queuedFrames < _options.MaxOutgoingQueue)
                {
                    room = _roomForData;
                    _roomForData = null;
                }
            }
        }

        room?.TrySetResult();
        gone?.TrySetResult();
        return taken;
    }

    private void DropQueued()
    {
        for (var batch = _head; batch is not null; batch = batch.Next)
        {
            ArrayPool<byte>.Shared.Return(batch.Buffer);
        }

        _head = _tail = null;
        _queuedFrames = 0;
        _queuedBytes = 0;
    }

    /// <summary>Called by the thread that holds the writer with nothing of its own to write: writes what is queued, or lets go.</summary>
    private void WriteQueued()
    {
        if (TryTakeQueued(out var buffer, out var length))
        {
            WriteFrom(buffer, length);
        }
    }

    /// <summary>
    /// Called by the thread that holds the writer: writes <paramref name="buffer"/> (rented; returned here), then
    /// whatever was queued meanwhile. While the socket takes the data at once this stays on the caller's thread; the
    /// first write that has to wait continues in <see cref="WriteQueuedAsync"/> and the caller goes on.
    /// </summary>
    private void WriteFrom(byte[] buffer, int length)
    {
        while (true)
        {
            if (!TryStartWrite(buffer, length, out var write))
            {
                return;
            }

            if (!write.IsCompleted)
            {
                _ = WriteQueuedAsync(write, buffer);
                return;
            }

            try
            {
                write.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                WriteFailed(ex);
                return;
            }

            ArrayPool<byte>.Shared.Return(buffer);
            if (!TryTakeQueued(out buffer, out length))
            {
                return;
            }
        }
    }

    private ValueTask WriteAndFlushAsync(byte[] buffer, int length)
    {
        var write = _stream.WriteAsync(buffer.AsMemory(0, length), _closing.Token);
        if (!write.IsCompletedSuccessfully)
        {
            return AwaitThenFlushAsync(write);
        }

        // NetworkStream and SslStream flush at once; the call is kept for any stream that buffers.
        var flush = _stream.FlushAsync(_closing.Token);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(flush);
    }

    private async ValueTask AwaitThenFlushAsync(ValueTask write)
    {
        await write.ConfigureAwait(false);
        await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
    }

    private async Task WriteQueuedAsync(ValueTask write, byte[] buffer)
    {
        while (true)
        {
            try
            {
                await write.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                WriteFailed(ex);
                return;
            }

            ArrayPool<byte>.Shared.Return(buffer);
            if (!TryTakeQueued(out buffer, out var length) || !TryStartWrite(buffer, length, out write))
            {
                return;
            }
        }
    }

    /// <summary>Starts writing <paramref name="buffer"/>; a write that fails at once ends the connection (false).</summary>
    private bool TryStartWrite(byte[] buffer, int length, out ValueTask write)
    {
        try
        {
            write = WriteAndFlushAsync(buffer, length);
            return true;
        }
        catch (Exception ex)
        {
            write = default;
            ArrayPool<byte>.Shared.Return(buffer);
            WriteFailed(ex);
            return false;
        }
    }

    /// <summary>A write failed: the connection is over, and the writer is let go (dropping what is queued).</summary>
    private void WriteFailed(Exception ex)
    {
        if (ex is not (IOException or ObjectDisposedException or OperationCanceledException or NotSupportedException))
        {
            Log.Unexpected(_logger, Peer, ex);
        }

        Close(_closeReason ?? "write failed: " + ex.Message);
        TryTakeQueued(out _, out _);
    }

    /// <summary>
    /// Completes once nobody is writing (after <see cref="CloseWrites"/>, for good): the stream may then be disposed
    /// without pulling it from under a write in progress on another thread.
    /// </summary>
    private Task WritesStoppedAsync()
    {
        lock (_writeLock)
        {
            if (!_writing)
            {
                return Task.CompletedTask;
            }

            _writerGone ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _writerGone.Task;
        }
    }

    /// <summary>Stops all writing: what is queued is dropped, senders waiting for room are woken to see the connection closed.</summary>
    private void CloseWrites()
    {
        TaskCompletionSource? room;
        lock (_writeLock)
        {
            _writeClosed = true;
            if (!_writing)
            {
                DropQueued();
            }

            room = _roomForData;
            _roomForData = null;
        }

        room?.TrySetResult();
    }
}
