using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Client;

/// <summary>Options of a connection; every property has libvirt's default.</summary>
public sealed record VirtConnectionOptions
{
    public static VirtConnectionOptions Default { get; } = new();

    /// <summary>How long any call may wait for its reply.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Ping the server after this much silence (virsh uses 5 s); zero disables client keepalive.</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unanswered pings before the server is declared dead (virsh uses 6).</summary>
    public int KeepaliveCount { get; init; } = 6;

    public Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>
    /// Asked for a user name and password when the server requires SASL and neither the URI nor libvirt's auth.conf
    /// (<c>LIBVIRT_AUTH_FILE</c>, <c>~/.config/libvirt/auth.conf</c>, <c>/etc/libvirt/auth.conf</c>) supplies them.
    /// Return null to give up.
    /// </summary>
    public Func<VirtAuthRequest, CancellationToken, ValueTask<VirtCredential?>>? Credentials { get; init; }

    /// <summary>
    /// Awaiting code resumes on the thread that read the reply instead of being queued to the thread pool: one hand-off
    /// fewer for calls the background loop reads (with .NET's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>,
    /// set before the process starts, that thread is the socket engine's). Lone calls do not need it: they read their
    /// own replies (<see cref="CallerReadWait"/>), and this option moves the connection to the loop. Code after an
    /// <c>await</c> must then not block on another call of the same connection (no <c>.Result</c>/<c>.Wait()</c>) and
    /// should hand long work elsewhere. Off by default.
    /// </summary>
    public bool InlineCompletions { get; init; }

    /// <summary>
    /// How long a call that is alone on its connection waits for its reply on the calling thread before the wait
    /// moves to the background (<see cref="Virtwire.Rpc.RpcClientOptions.CallerReadWait"/>), on unix and plain TCP
    /// connections: a sequential caller then costs no thread hand-off. <see cref="TimeSpan.Zero"/> to always wait
    /// asynchronously.
    /// </summary>
    public TimeSpan CallerReadWait { get; init; } = Virtwire.Rpc.RpcClientOptions.Default.CallerReadWait;
}

/// <summary>What the server wants to authenticate: the host as the URI names it, the mechanism, any user name already known.</summary>
public sealed record VirtAuthRequest(string Host, string Mechanism, string? Username);

/// <summary>A SASL user name and password.</summary>
public sealed record VirtCredential(string Username, string Password);

/// <summary>Host facts (virNodeInfo): memory in KiB, frequency in MHz.</summary>
public sealed record VirtNodeInfo(string Model, ulong MemoryKiB, int Cpus, int Mhz, int Nodes, int Sockets, int Cores, int Threads);

/// <summary>virDomainInfo: memory in KiB, CPU time in nanoseconds.</summary>
public sealed record VirtDomainInfo(DomainState State, ulong MaxMemoryKiB, ulong MemoryKiB, int VirtCpus, ulong CpuTimeNs);

public sealed record VirtStoragePoolInfo(StoragePoolState State, ulong Capacity, ulong Allocation, ulong Available);

/// <summary>A typed statistic or parameter; <see cref="Value"/> is int, uint, long, ulong, double, bool or string.</summary>
public sealed record VirtTypedParameter(string Name, object Value);

/// <summary>Statistics of one domain from CONNECT_GET_ALL_DOMAIN_STATS.</summary>
public sealed record VirtDomainStats(VirtDomainHandle Domain, IReadOnlyList<VirtTypedParameter> Parameters);

/// <summary>A domain's identity as the server reported it: name, UUID and id (-1 when inactive).</summary>
public sealed record VirtDomainHandle(string Name, XdrUuid Uuid, int Id);

/// <summary>A domain lifecycle event (or reboot, as <see cref="IsReboot"/>).</summary>
public sealed record VirtDomainEvent(VirtDomainHandle Domain, DomainLifecycleEvent Event, int Detail, bool IsReboot = false);
