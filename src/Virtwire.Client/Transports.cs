using System.Net;
using System.Net.Sockets;
using Virtwire.Drivers.Test;
using Virtwire.Rpc;
using Virtwire.Server;

namespace Virtwire.Client;

/// <summary>
/// Turns a URI into a connected duplex stream. Every transport is a <see cref="Stream"/>: unix and TCP
/// sockets now; TLS (SslStream plus libvirt's one-byte confirmation) and SSH (the system ssh's stdio)
/// plug in here.
/// </summary>
internal static class Transports
{
    private static readonly Lazy<RemoteServer> InProcessServer = new(() =>
        new RemoteServer([new TestDriver()], Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

    public static async ValueTask<Stream> ConnectAsync(VirtUri uri, bool readOnly, CancellationToken cancellationToken)
    {
        try
        {
            switch (uri.Transport)
            {
                case VirtTransport.InProcess:
                    return await ConnectInProcessAsync(cancellationToken).ConfigureAwait(false);
                case VirtTransport.Unix:
                    return new NetworkStream(await ConnectUnixAsync(uri.SocketPath(readOnly), cancellationToken).ConfigureAwait(false), ownsSocket: true);
                case VirtTransport.Tcp:
                    return await ConnectTcpAsync(uri, cancellationToken).ConfigureAwait(false);
                case VirtTransport.Ssh or VirtTransport.LibSsh or VirtTransport.LibSsh2:
                    // libssh/libssh2 are libvirt's in-process SSH clients; the system ssh does the same job here.
                    return SshTransport.Connect(uri, readOnly);
                case VirtTransport.Tls:
                    var credentials = TlsTransport.LoadCredentials(uri);
                    return await TlsTransport.ConnectAsync(await ConnectTcpAsync(uri, cancellationToken).ConfigureAwait(false), uri, credentials,
                        cancellationToken).ConfigureAwait(false);
                default:
                    throw new VirtException(RemoteError.Create(VirtErrorCode.NoSupport, VirtErrorDomain.Remote,
                        $"this function is not supported by the connection driver: transport '{uri.Transport}' is not supported yet",
                        "this function is not supported by the connection driver: %s", $"transport '{uri.Transport}' is not supported yet"));
            }
        }
        catch (SocketException ex)
        {
            // libvirt's wording for each transport, with the system's text for the error.
            throw new VirtConnectionException(uri.Transport == VirtTransport.Unix
                ? $"Failed to connect socket to '{uri.SocketPath(readOnly)}': {SystemMessage(ex, unix: true)}"
                : $"unable to connect to server at '{uri.EffectiveHost}:{uri.EffectivePort}': {SystemMessage(ex, unix: false)}", ex);
        }
    }

    /// <summary>
    /// strerror(3) of the failure, without the address the runtime appends to its own message. The runtime reports a
    /// unix socket path that does not exist (ENOENT) as EADDRNOTAVAIL, which connect(2) never returns for unix sockets.
    /// </summary>
    private static string SystemMessage(SocketException ex, bool unix)
    {
        const int NoSuchFile = 2;
        var errno = unix && ex.SocketErrorCode == SocketError.AddressNotAvailable ? NoSuchFile : ex.NativeErrorCode;
        return System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);
    }

    /// <summary>
    /// Connects to a unix socket without an asynchronous operation: a socket that never had one stays out of the
    /// runtime's epoll set, so a lone call's reply wakes only its caller (see RpcClientOptions.CallerReadWait). A local
    /// connect completes at once, except when the listener's backlog is full (EAGAIN); then it is retried, with a
    /// growing pause, for up to <see cref="BacklogRetryLimit"/> or until cancelled.
    /// </summary>
    private static async ValueTask<Socket> ConnectUnixAsync(string path, CancellationToken cancellationToken)
    {
        var endpoint = new UnixDomainSocketEndPoint(path);
        var started = Environment.TickCount64;
        for (var pause = 1; ; pause = Math.Min(pause * 2, 100))
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            try
            {
                socket.Connect(endpoint);
                socket.Blocking = true;
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain &&
                Environment.TickCount64 - started < BacklogRetryLimit.TotalMilliseconds)
            {
                socket.Dispose();
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan BacklogRetryLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Connects to each address of the host in turn, as the runtime's own connect does, but without an asynchronous
    /// operation (see <see cref="ConnectUnixAsync"/>): the connect is started non-blocking and its completion looked
    /// for with poll(2) — at once for a nearby host, then with growing pauses (up to <see cref="ConnectPollLimit"/>) for
    /// a distant one. The kernel's own connect timeout ends an attempt that is never answered.
    /// </summary>
    private static async ValueTask<Stream> ConnectTcpAsync(VirtUri uri, CancellationToken cancellationToken)
    {
        var host = uri.EffectiveHost;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new VirtConnectionException($"Unable to resolve address '{host}' service '{uri.EffectivePort}': {ex.Message}", ex);
        }

        SocketException? failure = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
            try
            {
                await ConnectNonBlockingAsync(socket, new IPEndPoint(address, uri.EffectivePort), cancellationToken).ConfigureAwait(false);
                socket.Blocking = true;
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                failure = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw failure ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static async ValueTask ConnectNonBlockingAsync(Socket socket, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        try
        {
            socket.Connect(endpoint);
            return;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
        }

        // A loopback or LAN handshake is over within the first, short wait.
        var wait = 1_000;
        for (var pause = 1; !socket.Poll(wait, SelectMode.SelectWrite); pause = Math.Min(pause * 2, (int)ConnectPollLimit.TotalMilliseconds))
        {
            wait = 0;
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }

        // Writable: the handshake ended, either way.
        var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }
    }

    private static readonly TimeSpan ConnectPollLimit = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// test:/// never reaches a daemon: the remote server and test driver run here, connected over a
    /// socket pair, so the in-process path is the same code as the daemon's.
    /// </summary>
    private static async ValueTask<Stream> ConnectInProcessAsync(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("virtwire-").FullName;
        var path = Path.Combine(directory, "s");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var accept = listener.AcceptAsync(cancellationToken).AsTask();
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            var server = await accept.ConfigureAwait(false);
            _ = InProcessServer.Value.ServeAsync(new NetworkStream(server, ownsSocket: true), readOnly: false, "in-process", RpcServerOptions.Default,
                CancellationToken.None);
            return new NetworkStream(client, ownsSocket: true);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
