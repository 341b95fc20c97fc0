namespace Virtwire.Drivers;

/// <summary>
/// A hypervisor driver: the daemon's "internal API". The daemon picks the driver by the URI scheme
/// of CONNECT_OPEN and talks to it only through <see cref="IDriverConnection"/>; drivers never see a socket.
/// </summary>
public interface IVirtDriver
{
    /// <summary>The URI scheme this driver serves ("test", "qemu").</summary>
    string Scheme { get; }

    /// <summary>Opens a connection for <paramref name="uri"/> (e.g. <c>test:///default</c>).</summary>
    /// <exception cref="Virtwire.Rpc.RpcRemoteException">The URI is not valid for this driver.</exception>
    ValueTask<IDriverConnection> OpenAsync(Uri uri, bool readOnly, CancellationToken cancellationToken);
}
