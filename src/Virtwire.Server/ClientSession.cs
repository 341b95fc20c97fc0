using Virtwire.Drivers;
using Virtwire.Rpc;

namespace Virtwire.Server;

/// <summary>What the daemon knows about one client: its driver connection, access mode and event registrations.</summary>
public sealed class ClientSession
{
    private int _nextCallbackId;

    public ClientSession(RpcServerConnection connection, bool readOnlySocket)
    {
        Connection = connection;
        ReadOnly = readOnlySocket;
    }

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

internal enum EventObjectKind
{
    Domain,
    Network,
    StoragePool,
}

/// <summary>One callback-style registration: which object kind, which event id, and an optional object filter.</summary>
internal sealed record EventRegistration(int CallbackId, EventObjectKind Kind, int EventId, Virtwire.Xdr.XdrUuid? Filter);
