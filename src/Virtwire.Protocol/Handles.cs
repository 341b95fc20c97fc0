using Virtwire.Xdr;

namespace Virtwire.Protocol;

/// <summary>A domain handle (<c>remote_nonnull_domain</c>); <see cref="Id"/> is -1 for an inactive domain.</summary>
[XdrStruct]
public sealed partial record RemoteDomain
{
    public required string Name { get; init; }

    public XdrUuid Uuid { get; init; }

    public int Id { get; init; }
}

/// <summary>A network handle (<c>remote_nonnull_network</c>).</summary>
[XdrStruct]
public sealed partial record RemoteNetwork
{
    public required string Name { get; init; }

    public XdrUuid Uuid { get; init; }
}

/// <summary>A storage pool handle (<c>remote_nonnull_storage_pool</c>).</summary>
[XdrStruct]
public sealed partial record RemoteStoragePool
{
    public required string Name { get; init; }

    public XdrUuid Uuid { get; init; }
}

/// <summary>A storage volume handle (<c>remote_nonnull_storage_vol</c>).</summary>
[XdrStruct]
public sealed partial record RemoteStorageVol
{
    public required string Pool { get; init; }

    public required string Name { get; init; }

    public required string Key { get; init; }
}

/// <summary>Per-domain statistics: a handle and typed parameters (<c>remote_domain_stats_record</c>).</summary>
[XdrStruct]
public sealed partial record RemoteDomainStatsRecord
{
    public required RemoteDomain Dom { get; init; }

    [XdrMax(RemoteLimits.DomainStats)]
    public required RemoteTypedParam[] Params { get; init; }
}

/// <summary>A virtual CPU's state (<c>remote_vcpu_info</c>).</summary>
[XdrStruct]
public sealed partial record RemoteVcpuInfo
{
    public uint Number { get; init; }

    public int State { get; init; }

    public ulong CpuTime { get; init; }

    public int Cpu { get; init; }
}
