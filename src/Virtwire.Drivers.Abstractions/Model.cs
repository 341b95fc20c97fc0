using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers;

/// <summary>A domain as drivers name it: <see cref="Id"/> is -1 while inactive.</summary>
public sealed record DomainRef(string Name, XdrUuid Uuid, int Id);

public sealed record NetworkRef(string Name, XdrUuid Uuid);

public sealed record StoragePoolRef(string Name, XdrUuid Uuid);

public sealed record StorageVolRef(string Pool, string Name, string Key);

/// <summary>Host facts (NODE_GET_INFO): memory in KiB, frequency in MHz.</summary>
public sealed record NodeInfo(string Model, ulong MemoryKiB, int Cpus, int Mhz, int Nodes, int Sockets, int Cores, int Threads);

/// <summary>DOMAIN_GET_INFO: memory in KiB, CPU time in nanoseconds.</summary>
public sealed record DomainInfo(DomainState State, ulong MaxMemoryKiB, ulong MemoryKiB, int VirtCpus, ulong CpuTimeNs);

public sealed record StoragePoolInfo(StoragePoolState State, ulong Capacity, ulong Allocation, ulong Available);

/// <summary>STORAGE_VOL_GET_INFO: type 0 = file; sizes in bytes.</summary>
public sealed record StorageVolInfo(int Type, ulong Capacity, ulong Allocation);

/// <summary>One typed statistic or parameter; <see cref="Value"/> is int, uint, long, ulong, double, bool or string.</summary>
public sealed record DriverTypedParameter(string Name, object Value);

public sealed record DomainStatsRecord(DomainRef Domain, IReadOnlyList<DriverTypedParameter> Parameters);

/// <summary>Something that happened to an object, raised to every connection sharing the driver state.</summary>
public abstract record DriverEvent;

public sealed record DomainLifecycleDriverEvent(DomainRef Domain, DomainLifecycleEvent Event, int Detail) : DriverEvent;

public sealed record DomainRebootDriverEvent(DomainRef Domain) : DriverEvent;

/// <summary>A domain's title, description or a metadata element (<paramref name="Uri"/>) changed.</summary>
public sealed record DomainMetadataChangeDriverEvent(DomainRef Domain, DomainMetadataType Type, string? Uri) : DriverEvent;

public sealed record NetworkLifecycleDriverEvent(NetworkRef Network, NetworkLifecycleEvent Event, int Detail) : DriverEvent;

public sealed record StoragePoolLifecycleDriverEvent(StoragePoolRef Pool, StoragePoolLifecycleEvent Event, int Detail) : DriverEvent;

/// <summary>A pool was refreshed (STORAGE_POOL_EVENT_ID_REFRESH).</summary>
public sealed record StoragePoolRefreshDriverEvent(StoragePoolRef Pool) : DriverEvent;

/// <summary>Driver errors carry libvirt's code, domain and message exactly; they cross the wire unchanged.</summary>
public static class DriverErrors
{
    public static RpcRemoteException Create(VirtErrorCode code, VirtErrorDomain domain, string message, string? template = null, string? detail = null) =>
        new(RemoteError.Create(code, domain, message, template ?? message, detail));
}
