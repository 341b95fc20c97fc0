using Virtwire.Drivers;
using Virtwire.Rpc;

namespace Virtwire.Server;

/// <summary>What the daemon knows about one client: its driver connection, access mode and event registrations.</summary>
public sealed class ClientSession
{
    private int _nextCallbackId;

    public ClientSession(RpcServerConnection connection, bool readOnlySocket)
        : this(connection, new ClientAccess(readOnlySocket))
    {
    }

    public ClientSession(RpcServerConnection connection, ClientAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        Connection = connection;
        Access = access;
        ReadOnly = access.ReadOnly;
        Authenticated = access.Auth == Virtwire.Protocol.AuthType.None;
    }

    /// <summary>How the client reached the daemon: which socket, which auth it must pass, over what channel.</summary>
    public ClientAccess Access { get; }

    /// <summary>False until the listener's authentication (SASL) has completed; only auth procedures are answered before.</summary>
    public bool Authenticated { get; internal set; }

    /// <summary>The SASL user, once authenticated that way.</summary>
    public string? SaslUsername { get; internal set; }

    internal bool SaslInitDone { get; set; }

    internal Virtwire.Rpc.Sasl.ScramServer? Sasl { get; set; }

    /// <summary>True between AUTH_SASL_START without an initial response and the STEP that carries it.</summary>
    internal bool SaslAwaitingClientFirst { get; set; }

    public RpcServerConnection Connection { get; }

    /// <summary>True for clients of the read-only socket or that opened with VIR_CONNECT_RO.</summary>
    public bool ReadOnly { get; internal set; }

    public IDriverConnection? Driver { get; internal set; }

    internal IDisposable? EventSubscription { get; set; }

    internal object Gate { get; } = new();

    /// <summary>Callback registrations (domain, network, pool) by server-chosen id.</summary>
    internal Dictionary<int, EventRegistration> Callbacks { get; } = [];

    /// <summary>Legacy CONNECT_DOMAIN_EVENT_REGISTER (lifecycle only).</summary>
    internal bool LegacyLifecycle { get; set; }

    /// <summary>Legacy CONNECT_DOMAIN_EVENT_REGISTER_ANY event ids.</summary>
    internal HashSet<int> LegacyEventIds { get; } = [];

    internal int NextCallbackId() => Interlocked.Increment(ref _nextCallbackId) - 1;
}

/// <summary>
/// What a listener tells the server about a client: the read-only socket, the auth it requires (none or SASL),
/// whether the channel is secure enough for SCRAM (TLS or a unix socket, as libvirt's SSF rule has it) and the
/// identity already known (x509 DN, unix peer credentials) for the log.
/// </summary>
public sealed record ClientAccess(bool ReadOnly, Virtwire.Protocol.AuthType Auth = Virtwire.Protocol.AuthType.None, bool SecureChannel = true,
    string? Identity = null)
{
    /// <summary>Called once when the client completes authentication (the listener's max_anonymous_clients count).</summary>
    public Action? OnAuthenticated { get; init; }
}

internal enum EventObjectKind
{
    Domain,
    Network,
    StoragePool,
}

/// <summary>One callback-style registration: which object kind, which event id, and an optional object filter.</summary>
internal sealed record EventRegistration(int CallbackId, EventObjectKind Kind, int EventId, Virtwire.Xdr.XdrUuid? Filter);
