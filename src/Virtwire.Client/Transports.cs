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
                    return await TlsTransport.ConnectAsync(await ConnectTcpAsync(uri, cancellationToken).ConfigureAwait(false), uri, cancellationToken)
                        .ConfigureAwait(false);
                default:
                    throw new VirtException(RemoteError.Create(VirtErrorCode.NoSupport, VirtErrorDomain.Remote,
                        $"this function is not supported by the connection driver: transport '{uri.Transport}' is not supported yet",
                        "this function is not supported by the connection driver: %s", $"transport '{uri.Transport}' is not supported yet"));
            }
        }
        catch (SocketException ex)
        {
            var target = uri.Transport == VirtTransport.Unix ? $"'{uri.SocketPath(readOnly)}'" : $"{uri.EffectiveHost}:{uri.EffectivePort}";
            throw new VirtConnectionException($"Failed to connect socket to {target}: {ex.Message}", ex);
        }
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

    private static async ValueTask<Stream> ConnectTcpAsync(VirtUri uri, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(uri.EffectiveHost, uri.EffectivePort, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

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
