using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Client;

/// <summary>Runs calls on the RPC connection and turns its exceptions into the client's public ones.</summary>
internal sealed class VirtInvoker(RpcClientConnection connection) : IRpcInvoker
{
    public async ValueTask<TResult> InvokeAsync<TArgs, TResult>(RpcProcedure<TArgs, TResult> procedure, TArgs args, CancellationToken cancellationToken)
        where TArgs : IXdrType<TArgs>
        where TResult : IXdrType<TResult>
    {
        try
        {
            return await connection.InvokeAsync(procedure, args, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcRemoteException ex)
        {
            throw VirtException.FromRemote(ex);
        }
        catch (RpcConnectionException ex)
        {
            throw new VirtConnectionException(ex.Message, ex, ex.IsTransient);
        }
        catch (RpcTimeoutException ex)
        {
            throw new VirtTimeoutException(ex.Message, ex);
        }
        catch (XdrFormatException ex)
        {
            throw new VirtException(RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Remote, "Unable to decode message payload: " + ex.Message), ex);
        }
    }
}
