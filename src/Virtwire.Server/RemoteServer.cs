using Microsoft.Extensions.Logging;
using Virtwire.Drivers;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Server;

/// <summary>
/// Serves libvirt's REMOTE program over any stream: access gates (open, read-only) composed in front of
/// the generated dispatch, and the drivers behind it. One instance serves all clients of a daemon.
/// </summary>
public sealed partial class RemoteServer : IRpcServerHandler
{
    private readonly RemoteDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _workers = new(20);
    private readonly int _maxWorkers = 20;

    public RemoteServer(IEnumerable<IVirtDriver> drivers, ILoggerFactory loggerFactory, string defaultUri = "test:///default")
    {
        ArgumentNullException.ThrowIfNull(drivers);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Drivers = drivers.ToDictionary(d => d.Scheme, StringComparer.OrdinalIgnoreCase);
        DefaultUri = defaultUri;
        _logger = loggerFactory.CreateLogger("Virtwire.Server");
        _dispatcher = new RemoteDispatcher(this);
    }

    internal IReadOnlyDictionary<string, IVirtDriver> Drivers { get; }

    /// <summary>The URI opened when a client sends an empty or absent name.</summary>
    public string DefaultUri { get; }

    /// <summary>libvirt version reported by CONNECT_GET_LIB_VERSION: 9.0.0, the release whose behaviour we match.</summary>
    public ulong LibraryVersion { get; init; } = 9_000_000;

    internal ILogger Logger => _logger;

    /// <summary>
    /// Low-priority calls running at once across all clients (libvirtd's max_workers, default 20).
    /// High-priority procedures (lookups, destroy, …) bypass it, as libvirt's priority workers do.
    /// </summary>
    public int MaxWorkers
    {
        get => _maxWorkers;
        init
        {
            _maxWorkers = Math.Max(1, value);
            _workers = new SemaphoreSlim(_maxWorkers);
        }
    }

    /// <summary>The SASL user database (SCRAM stored keys); required when a listener's auth is SASL.</summary>
    public Virtwire.Rpc.Sasl.ScramCredentialStore? SaslCredentials { get; init; }

    /// <summary>sasl_allowed_username_list: globs; empty allows every user the database knows.</summary>
    public IReadOnlyList<string> SaslAllowedUsernames
    {
        get => _saslAllowed;
        init
        {
            _saslAllowed = value ?? [];
            SaslAllowedPatterns = [.. _saslAllowed.Select(AccessGlob.Compile)];
        }
    }

    private readonly IReadOnlyList<string> _saslAllowed = [];

    internal IReadOnlyList<System.Text.RegularExpressions.Regex> SaslAllowedPatterns { get; private init; } = [];

    /// <summary>Serves one client connection until it ends.</summary>
    public Task ServeAsync(Stream stream, bool readOnly, string peer, RpcServerOptions options, CancellationToken cancellationToken) =>
        ServeAsync(stream, new ClientAccess(readOnly), peer, options, cancellationToken);

    /// <summary>Serves one client connection, which must first pass <see cref="ClientAccess.Auth"/>, until it ends.</summary>
    public Task ServeAsync(Stream stream, ClientAccess access, string peer, RpcServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(access);
        var connection = new RpcServerConnection(stream, this, options, peer);
        connection.State = new ClientSession(connection, access);
        Log.Accepted(_logger, peer, access.ReadOnly, access.Auth, access.Identity ?? "-");
        return connection.RunAsync(cancellationToken);
    }

    public bool IsKnownProgram(uint program, uint version) => program == RemoteProgram.Program && version == RemoteProgram.Version;

    public ValueTask<IXdrWritable> HandleCallAsync(RpcServerConnection connection, RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var session = (ClientSession)connection.State!;

        // Before the listener's authentication completes only the auth procedures are answered (protocol-facts §4.4):
        // libvirt says "authentication required" with VIR_ERR_RPC, not AUTH_FAILED, for the sake of old clients. Every
        // other number gets it, known to this daemon or not, so an unauthenticated peer learns nothing.
        if (!session.Authenticated && header.Procedure is < RemoteProgram.Numbers.AuthList or > RemoteProgram.Numbers.AuthPolkit)
        {
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc, "authentication required"));
        }

        var procedure = RemoteProgram.Find(header.Procedure);
        if (procedure is null || procedure.Kind != RpcProcedureKind.Call)
        {
            throw new RpcProcedureNotImplementedException(header.Procedure);
        }

        // Everything that talks to a hypervisor needs CONNECT_OPEN first (protocol-facts §4.4).
        if (session.Driver is null && !procedure.AllowedBeforeAuth && procedure.Number is not
            (RemoteProgram.Numbers.ConnectOpen or RemoteProgram.Numbers.ConnectClose or RemoteProgram.Numbers.ConnectSupportsFeature))
        {
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InternalError, VirtErrorDomain.Rpc,
                "internal error: hypervisor connection not open", "internal error: %s", "hypervisor connection not open"));
        }

        if (session.ReadOnly && !procedure.AllowedReadOnly)
        {
            var api = ApiName(procedure);
            throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.OperationDenied, ErrorDomainOf(procedure),
                "operation forbidden: read only access prevents " + api, "operation forbidden: %s", "read only access prevents " + api));
        }

        if (procedure.Number == RemoteProgram.Numbers.DomainOpenConsole)
        {
            return OpenConsoleAsync(session, procedure, header, payload, cancellationToken);
        }

        return DispatchAsync(session, procedure, header, payload, cancellationToken);
    }

    private async ValueTask<IXdrWritable> DispatchAsync(ClientSession session, RpcProcedureInfo procedure, RpcHeader header, ReadOnlyMemory<byte> payload,
        CancellationToken cancellationToken)
    {
        var limited = procedure.Priority == RpcPriority.Low;
        if (limited)
        {
            await _workers.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await _dispatcher.DispatchAsync(session, header.Procedure, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcProcedureNotImplementedException)
        {
            throw NotSupported(procedure);
        }
        finally
        {
            if (limited)
            {
                _workers.Release();
            }
        }
    }

    /// <summary>A procedure libvirt has but this daemon's driver does not: what libvirtd says for an unimplemented driver method.</summary>
    internal static RpcRemoteException NotSupported(RpcProcedureInfo procedure)
    {
        var api = ApiName(procedure);
        return new RpcRemoteException(RemoteError.Create(VirtErrorCode.NoSupport, ErrorDomainOf(procedure),
            "this function is not supported by the connection driver: " + api, "this function is not supported by the connection driver: %s", api));
    }

    /// <summary>The public API name libvirt reports in access errors, e.g. DOMAIN_SUSPEND → virDomainSuspend.</summary>
    internal static string ApiName(RpcProcedureInfo procedure)
    {
        var words = procedure.Name.Split('_').Select(w => w.Length == 0 ? w : w[0] + w[1..].ToLowerInvariant());
        var name = "vir" + string.Concat(words);
        return name.Replace("Xml", "XML", StringComparison.Ordinal).Replace("Uuid", "UUID", StringComparison.Ordinal);
    }

    private static VirtErrorDomain ErrorDomainOf(RpcProcedureInfo procedure) => procedure.Name switch
    {
        var n when n.StartsWith("DOMAIN_", StringComparison.Ordinal) => VirtErrorDomain.Domain,
        var n when n.StartsWith("NETWORK_", StringComparison.Ordinal) => VirtErrorDomain.Network,
        var n when n.StartsWith("STORAGE_", StringComparison.Ordinal) => VirtErrorDomain.Storage,
        _ => VirtErrorDomain.Domain,
    };

    public async ValueTask OnClosedAsync(RpcServerConnection connection)
    {
        var session = (ClientSession)connection.State!;
        await RemoteDispatcher.CloseDriverAsync(session).ConfigureAwait(false);
    }

    internal static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Accepted client {Peer} (read-only: {ReadOnly}, auth: {Auth}, identity: {Identity})")]
        public static partial void Accepted(ILogger logger, string peer, bool readOnly, AuthType auth, string identity);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Client {Peer} authenticated as SASL user {User} ({Mechanism})")]
        public static partial void SaslAuthenticated(ILogger logger, string peer, string user, string mechanism);

        [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "SASL authentication of {Peer} failed: {Reason}")]
        public static partial void SaslFailed(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Console stream of {Peer} failed")]
        public static partial void ConsoleFailed(ILogger logger, string peer, Exception exception);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Dropping events for {Peer}: its queue is full")]
        public static partial void EventDropped(ILogger logger, string peer);
    }
}
