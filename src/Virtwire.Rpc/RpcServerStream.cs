using System.Threading.Channels;

namespace Virtwire.Rpc;

/// <summary>Why a stream's incoming side ended without the client finishing it.</summary>
public sealed class RpcStreamAbortedException(string message) : IOException(message);

/// <summary>
/// The server's end of one libvirt stream (protocol-facts §10): created by the call that opens it, carrying
/// that call's program, procedure and serial. Data from the client arrives on <see cref="Incoming"/>; data to
/// the client goes out with <see cref="SendAsync"/>, only after the call's reply, in order.
/// </summary>
public sealed class RpcServerStream
{
    /// <summary>The most a stream data packet carries from the server (libvirt's legacy payload maximum).</summary>
    public const int MaxChunk = 256 * 1024;

    private readonly RpcServerConnection _connection;
    private readonly RpcHeader _call;
    private readonly Channel<byte[]> _incoming;
    private readonly TaskCompletionSource _replied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _ended = new();
    private int _finishedByServer;

    internal RpcServerStream(RpcServerConnection connection, in RpcHeader call, int capacity)
    {
        _connection = connection;
        _call = call;
        // Bounded: a client sending faster than the consumer stops being read (TCP backpressure), as in libvirtd.
        _incoming = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public uint Serial => _call.Serial;

    public int Procedure => _call.Procedure;

    public uint Program => _call.Program;

    /// <summary>
    /// Data the client sent, in order. Completes when the client finishes the stream; completes with
    /// <see cref="RpcStreamAbortedException"/> when it aborts or the connection ends.
    /// </summary>
    public ChannelReader<byte[]> Incoming => _incoming.Reader;

    /// <summary>Cancelled when the stream has ended for any reason (client finish/abort, server end, connection closed).</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>Sends data to the client in packets of at most <see cref="MaxChunk"/> bytes; waits for room in the connection's queue.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _replied.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(MaxChunk, data.Length)];
            data = data[chunk.Length..];
            await _connection.SendRawAsync(Packet(RpcStatus.Continue), chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tells the client there is no more data (libvirt's end of stream: an empty Continue packet).</summary>
    public async ValueTask SendEndOfStreamAsync(CancellationToken cancellationToken)
    {
        await _replied.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _connection.SendRawAsync(Packet(RpcStatus.Continue), ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the stream with an error the client reports as the stream's failure.</summary>
    public void Abort(RemoteError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (Interlocked.Exchange(ref _finishedByServer, 1) != 0)
        {
            return;
        }

        if (_replied.Task.IsCompletedSuccessfully)
        {
            _connection.TrySend(Packet(RpcStatus.Error), error);
        }

        _connection.RemoveStream(this);
        End(new RpcStreamAbortedException(error.Message ?? "stream aborted"));
    }

    private RpcHeader Packet(RpcStatus status) => _call with { Type = RpcMessageType.Stream, Status = status };

    /// <summary>The call's reply has been queued: data may follow it.</summary>
    internal void MarkReplied() => _replied.TrySetResult();

    internal ValueTask WriteIncomingAsync(byte[] data, CancellationToken cancellationToken) => _incoming.Writer.WriteAsync(data, cancellationToken);

    /// <summary>The client finished (<paramref name="error"/> null) or aborted; no more data will arrive.</summary>
    internal void End(Exception? error)
    {
        _incoming.Writer.TryComplete(error);
        _replied.TrySetCanceled();
        try
        {
            _ended.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
