using Virtwire.Rpc;

namespace Virtwire.Client;

/// <summary>
/// A libvirt stream (a domain console, for one) as a <see cref="Stream"/>: reads return what the server sends and 0
/// at its end; writes go to the server. Disposing aborts the stream if it was not finished; call
/// <see cref="FinishAsync"/> to end it cleanly. Errors arrive as <see cref="VirtException"/>.
/// </summary>
public sealed class VirtStream : Stream
{
    private readonly RpcClientStream _stream;

    internal VirtStream(RpcClientStream stream) => _stream = stream;

    public override bool CanRead => true;

    public override bool CanWrite => !_stream.IsEnded;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Ends the stream normally (libvirt's virStreamFinish) and waits for the server to confirm.</summary>
    public async ValueTask FinishAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _stream.FinishAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Aborts the stream (libvirt's virStreamAbort).</summary>
    public async ValueTask AbortAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _stream.AbortAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    // Synchronous members block on the asynchronous ones; prefer the async API.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stream.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    private static Exception? Translate(Exception ex) => ex switch
    {
        RpcRemoteException remote => VirtException.FromRemote(remote),
        RpcConnectionException connection => new VirtConnectionException(connection.Message, connection, connection.IsTransient),
        RpcStreamAbortedException aborted => new VirtException(
            RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Streams, aborted.Message), aborted),
        _ => null,
    };
}
