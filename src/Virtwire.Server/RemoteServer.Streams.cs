using Microsoft.Extensions.Logging;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Server;

public sealed partial class RemoteServer
{
    /// <summary>
    /// DOMAIN_OPEN_CONSOLE: the driver's console becomes the call's stream. Console output is pumped to the client
    /// after the reply; what the client sends is written to the console; either side ending ends both.
    /// </summary>
    private async ValueTask<IXdrWritable> OpenConsoleAsync(ClientSession session, RpcProcedureInfo procedure, RpcHeader header, ReadOnlyMemory<byte> payload,
        CancellationToken cancellationToken)
    {
        var args = XdrCodec.Decode<DomainOpenConsoleArgs>(payload.Span);
        Stream console;
        try
        {
            console = await session.Driver!.OpenDomainConsoleAsync(args.Dom.ToDriver(), args.DevName, (DomainConsoleFlags)args.Flags, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RpcProcedureNotImplementedException)
        {
            throw NotSupported(procedure);
        }

        RpcServerStream stream;
        try
        {
            stream = session.Connection.OpenStream(header);
        }
        catch
        {
            await console.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _ = PumpConsoleAsync(session, stream, console);
        return XdrVoid.Instance;
    }

    private async Task PumpConsoleAsync(ClientSession session, RpcServerStream stream, Stream console)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stream.Ended, session.Connection.Closing);
        var toClient = ToClientAsync(stream, console, done.Token);
        var fromClient = FromClientAsync(stream, console, done.Token);
        var first = await Task.WhenAny(toClient, fromClient).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false);
        await console.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(toClient, fromClient).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            Log.ConsoleFailed(_logger, session.Connection.Peer, ex);
        }

        _ = first;
    }

    private static async Task ToClientAsync(RpcServerStream stream, Stream console, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await console.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                await stream.SendAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            // The console went away (the domain stopped): the client sees the end of the stream, as from libvirtd.
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            await stream.SendEndOfStreamAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task FromClientAsync(RpcServerStream stream, Stream console, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var data in stream.Incoming.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await console.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                await console.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RpcStreamAbortedException)
        {
        }
    }
}
