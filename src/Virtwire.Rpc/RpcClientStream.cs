using System.Threading.Channels;
using Virtwire.Xdr;

namespace Virtwire.Rpc;

/// <summary>
/// The client's end of one libvirt stream (protocol-facts §10), opened by <see cref="RpcClientConnection.OpenStreamAsync"/>.
/// Reads return the server's data until its end-of-stream; writes send data packets; <see cref="FinishAsync"/> and
/// <see cref="AbortAsync"/> end it and wait for the server's confirmation.
/// </summary>
public sealed class RpcClientStream : IAsyncDisposable
{
    private readonly RpcClientConnection _connection;
    private readonly RpcHeader _call;
    private readonly Channel<byte[]> _incoming;
    private readonly TaskCompletionSource _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _current;
    private int _offset;
    private int _ended;

    internal RpcClientStream(RpcClientConnection connection, in RpcHeader call, int capacity)
    {
        _connection = connection;
        _call = call;
        _incoming = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public uint Serial => _call.Serial;

    /// <summary>Whether the stream has been finished or aborted by this side.</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>
    /// Reads the server's data; 0 at the end of the stream. A server-side stream error is thrown as
    /// <see cref="RpcRemoteException"/>, a lost connection as <see cref="RpcConnectionException"/>.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (_current is null || _offset == _current.Length)
        {
            if (!await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            if (_incoming.Reader.TryRead(out var next))
            {
                if (next.Length == 0)
                {
                    // libvirt's end of stream: an empty data packet.
                    _incoming.Writer.TryComplete();
                    return 0;
                }

                _current = next;
                _offset = 0;
            }
        }

        var count = Math.Min(destination.Length, _current.Length - _offset);
        _current.AsSpan(_offset, count).CopyTo(destination.Span);
        _offset += count;
        return count;
    }

    /// <summary>Sends data to the server in packets of at most 256 KiB.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (IsEnded)
        {
            throw new InvalidOperationException("the stream has ended");
        }

        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(RpcServerStream.MaxChunk, data.Length)];
            data = data[chunk.Length..];
            await _connection.SendRawAsync(Packet(RpcStatus.Continue), chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the stream normally and waits for the server to confirm (an error it reports is thrown).</summary>
    public ValueTask FinishAsync(CancellationToken cancellationToken) => EndAsync(RpcStatus.Ok, cancellationToken);

    /// <summary>Aborts the stream and waits for the server to confirm.</summary>
    public ValueTask AbortAsync(CancellationToken cancellationToken) => EndAsync(RpcStatus.Error, cancellationToken);

    private async ValueTask EndAsync(RpcStatus status, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        try
        {
            await _connection.SendRawAsync(Packet(status), ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            await _confirmed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _connection.RemoveStream(this);
            _incoming.Writer.TryComplete();
        }
    }

    /// <summary>Aborts the stream if it is still open; never throws for a connection that is already gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (IsEnded)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await AbortAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcConnectionException or RpcRemoteException or OperationCanceledException or RpcStreamAbortedException)
        {
        }
    }

    private RpcHeader Packet(RpcStatus status) => _call with { Type = RpcMessageType.Stream, Status = status };

    /// <summary>A stream packet from the server, called by the connection's read loop (in order).</summary>
    internal ValueTask OnPacketAsync(in RpcHeader header, byte[] payload, CancellationToken cancellationToken)
    {
        switch (header.Type, header.Status)
        {
            case (RpcMessageType.Stream, RpcStatus.Continue):
                return IsEnded ? ValueTask.CompletedTask : WriteIncomingAsync(payload, cancellationToken);
            case (RpcMessageType.Stream, RpcStatus.Ok):
                // Confirmation of our finish/abort (or the server ending a read stream).
                _confirmed.TrySetResult();
                _incoming.Writer.TryComplete();
                break;
            case (RpcMessageType.Stream or RpcMessageType.Reply, RpcStatus.Error):
                var error = new RpcRemoteException(XdrCodec.Decode<RemoteError>(payload));
                _confirmed.TrySetException(error);
                _incoming.Writer.TryComplete(error);
                _connection.RemoveStream(this);
                break;
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteIncomingAsync(byte[] payload, CancellationToken cancellationToken)
    {
        try
        {
            await _incoming.Writer.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>The connection broke: readers and waiters fail with <paramref name="failure"/>.</summary>
    internal void Fail(Exception failure)
    {
        _confirmed.TrySetException(failure);
        _incoming.Writer.TryComplete(failure);
    }
}
