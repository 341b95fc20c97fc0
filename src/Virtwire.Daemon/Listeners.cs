using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Virtwire.Rpc;
using Virtwire.Server;

namespace Virtwire.Daemon;

/// <summary>Accepts clients on unix and TCP sockets and hands each to the remote server (Kestrel's accept-loop shape).</summary>
internal sealed partial class Listeners : IAsyncDisposable
{
    private readonly RemoteServer _server;
    private readonly DaemonSettings _settings;
    private readonly RpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly List<(Socket Socket, bool ReadOnly, string? Path, bool Tls)> _sockets = [];
    private TlsServer? _tls;
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stopping = new();
    private int _clients;
    private int _anonymous;
    private long _lastActivity = Environment.TickCount64;

    public Listeners(RemoteServer server, DaemonSettings settings, ILoggerFactory loggerFactory)
    {
        _server = server;
        _settings = settings;
        _options = settings.ToServerOptions(loggerFactory);
        _logger = loggerFactory.CreateLogger("Virtwire.Daemon");
    }

    public List<string> Uris { get; } = [];

    public int Clients => Volatile.Read(ref _clients);

    /// <summary>Milliseconds since the last client left (or since start), for --timeout.</summary>
    public long IdleMilliseconds => Clients > 0 ? 0 : Environment.TickCount64 - Interlocked.Read(ref _lastActivity);

    public void Start()
    {
        if (_settings.ListenTls)
        {
            _tls = new TlsServer(_settings);
            BindTcp(_settings.TlsPort, tls: true);
        }

        if (_settings.ListenTcp)
        {
            BindTcp(_settings.TcpPort, tls: false);
        }

        Directory.CreateDirectory(_settings.UnixSockDir);
        BindUnix(Path.Combine(_settings.UnixSockDir, "libvirt-sock"), readOnly: false, _settings.UnixSockRwPerms);
        BindUnix(Path.Combine(_settings.UnixSockDir, "libvirt-sock-ro"), readOnly: true, _settings.UnixSockRoPerms);
        Uris.Add($"test+unix:///default?socket={Path.Combine(_settings.UnixSockDir, "libvirt-sock")}");
        foreach (var (socket, readOnly, _, tls) in _sockets)
        {
            _loops.Add(Task.Run(() => AcceptLoopAsync(socket, readOnly, tls)));
        }
    }

    private void BindTcp(int port, bool tls)
    {
        var address = IPAddress.Parse(_settings.ListenAddr);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(address, port));
        socket.Listen(512);
        _sockets.Add((socket, false, null, tls));
        var bound = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var host = address.Equals(IPAddress.Any) ? "127.0.0.1" : address.ToString();
        Uris.Add($"test+{(tls ? "tls" : "tcp")}://{host}:{bound}/default");
    }

    private void BindUnix(string path, bool readOnly, UnixFileMode mode)
    {
        if (File.Exists(path))
        {
            // A stale socket from a previous run; libvirtd replaces it the same way.
            File.Delete(path);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(512);
        File.SetUnixFileMode(path, mode);
        if (_settings.UnixSockGroup is { } group)
        {
            SetGroup(path, group);
        }

        _sockets.Add((socket, readOnly, path, false));
    }

    private void SetGroup(string path, string group)
    {
        using var chgrp = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chgrp", [group, path])
        {
            RedirectStandardError = true,
        });
        chgrp?.WaitForExit();
        if (chgrp is null || chgrp.ExitCode != 0)
        {
            throw new ConfigException($"cannot set group '{group}' on {path}: {chgrp?.StandardError.ReadToEnd().Trim()}");
        }
    }

    private async Task AcceptLoopAsync(Socket listener, bool readOnly, bool tls)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                Log.AcceptFailed(_logger, ex.Message);
                continue;
            }

            if (Interlocked.Increment(ref _clients) > _settings.MaxClients)
            {
                // libvirtd closes connections beyond max_clients at once.
                Interlocked.Decrement(ref _clients);
                Log.TooManyClients(_logger, _settings.MaxClients);
                client.Dispose();
                continue;
            }

            var peer = client.RemoteEndPoint is IPEndPoint ip ? ip.ToString() : "unix" + (readOnly ? "-ro" : string.Empty) + PeerCredentials(client);
            _ = ServeAsync(client, readOnly, peer, tls);
        }
    }

    private async Task ServeAsync(Socket client, bool readOnly, string peer, bool tls)
    {
        try
        {
            if (client.AddressFamily != AddressFamily.Unix)
            {
                client.NoDelay = true;
            }

            Stream stream = new NetworkStream(client, ownsSocket: true);
            var unix = client.AddressFamily == AddressFamily.Unix;
            var auth = tls ? _settings.AuthTls : !unix ? _settings.AuthTcp : readOnly ? _settings.AuthUnixRo : _settings.AuthUnixRw;
            string? identity = unix ? peer : null;
            if (tls)
            {
                var (secured, dn, refusal) = await _tls!.AcceptAsync(stream, _stopping.Token).ConfigureAwait(false);
                if (secured is null)
                {
                    // libvirt refuses by hanging up: no byte, no error packet.
                    Log.TlsRefused(_logger, peer, refusal ?? "refused");
                    return;
                }

                Log.TlsAccepted(_logger, peer, dn ?? "(no certificate)");
                identity = dn is null ? null : "x509 " + dn;
                stream = secured;
            }

            // Clients that must authenticate count as anonymous until they have (libvirtd's max_anonymous_clients).
            var anonymous = 0;
            if (auth != Virtwire.Protocol.AuthType.None)
            {
                if (Interlocked.Increment(ref _anonymous) > _settings.MaxAnonymousClients)
                {
                    Interlocked.Decrement(ref _anonymous);
                    Log.TooManyAnonymous(_logger, _settings.MaxAnonymousClients, peer);
                    await stream.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                anonymous = 1;
            }

            void Authenticated()
            {
                if (Interlocked.Exchange(ref anonymous, 0) == 1)
                {
                    Interlocked.Decrement(ref _anonymous);
                }
            }

            // SCRAM (SSF 0) is acceptable only where the channel is already private: TLS or a unix socket.
            var access = new ClientAccess(readOnly, auth, SecureChannel: tls || unix, identity) { OnAuthenticated = Authenticated };
            try
            {
                await _server.ServeAsync(stream, access, peer, _options, _stopping.Token).ConfigureAwait(false);
            }
            finally
            {
                Authenticated();
            }
        }
        catch (Exception ex)
        {
            // Whatever went wrong, the client must see its connection close rather than hang.
            Log.ClientFailed(_logger, peer, ex);
            client.Dispose();
        }
        finally
        {
            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
            Interlocked.Decrement(ref _clients);
        }
    }

    /// <summary>The unix peer's pid and uid (SO_PEERCRED), for the log: "[pid=…,uid=…]".</summary>
    private static string PeerCredentials(Socket client)
    {
        if (!OperatingSystem.IsLinux())
        {
            return string.Empty;
        }

        try
        {
            Span<byte> credentials = stackalloc byte[12];
            const int SolSocket = 1, SoPeerCred = 17;
            var length = client.GetRawSocketOption(SolSocket, SoPeerCred, credentials);
            if (length < 12)
            {
                return string.Empty;
            }

            var pid = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(credentials);
            var uid = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..]);
            return $"[pid={pid},uid={uid}]";
        }
        catch (SocketException)
        {
            return string.Empty;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var (socket, _, path, _) in _sockets)
        {
            socket.Dispose();
            if (path is not null && File.Exists(path))
            {
                File.Delete(path);
            }
        }

        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Refusing client: max_clients ({Max}) reached")]
        public static partial void TooManyClients(ILogger logger, int max);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Refusing client {Peer}: max_anonymous_clients ({Max}) not yet authenticated")]
        public static partial void TooManyAnonymous(ILogger logger, int max, string peer);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "accept failed: {Reason}")]
        public static partial void AcceptFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "TLS client {Peer} refused: {Reason}")]
        public static partial void TlsRefused(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "TLS client {Peer} accepted, certificate DN {Identity}")]
        public static partial void TlsAccepted(ILogger logger, string peer, string identity);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Client {Peer} failed")]
        public static partial void ClientFailed(ILogger logger, string peer, Exception exception);
    }
}
