using Virtwire.Protocol;

namespace Virtwire.Drivers;

/// <summary>
/// One open connection to a driver. Every method may be called concurrently from many clients.
/// Failures are <see cref="Virtwire.Rpc.RpcRemoteException"/> with libvirt's code, domain and message.
/// </summary>
public interface IDriverConnection : IAsyncDisposable
{
    /// <summary>The canonical URI of this connection, e.g. <c>test:///default</c>.</summary>
    string Uri { get; }

    /// <summary>Subscribes to events of the state this connection sees; the handler must not block.</summary>
    IDisposable SubscribeEvents(Action<DriverEvent> handler);

    ValueTask<string> GetTypeAsync(CancellationToken cancellationToken);

    ValueTask<ulong> GetVersionAsync(CancellationToken cancellationToken);

    ValueTask<string> GetHostnameAsync(CancellationToken cancellationToken);

    ValueTask<string> GetCapabilitiesAsync(CancellationToken cancellationToken);

    ValueTask<string> GetSysinfoAsync(uint flags, CancellationToken cancellationToken);

    ValueTask<int> GetMaxVcpusAsync(string? type, CancellationToken cancellationToken);

    ValueTask<NodeInfo> GetNodeInfoAsync(CancellationToken cancellationToken);

    ValueTask<ulong> GetFreeMemoryAsync(CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<ulong>> GetCellsFreeMemoryAsync(int startCell, int maxCells, CancellationToken cancellationToken);

    ValueTask<(string Model, string Doi)> GetSecurityModelAsync(CancellationToken cancellationToken);

    ValueTask<bool> SupportsFeatureAsync(int feature, CancellationToken cancellationToken);

    // Domains

    ValueTask<IReadOnlyList<DomainRef>> ListDomainsAsync(ListDomainsFlags flags, CancellationToken cancellationToken);

    ValueTask<DomainRef> LookupDomainByIdAsync(int id, CancellationToken cancellationToken);

    ValueTask<DomainRef> LookupDomainByNameAsync(string name, CancellationToken cancellationToken);

    ValueTask<DomainRef> LookupDomainByUuidAsync(Virtwire.Xdr.XdrUuid uuid, CancellationToken cancellationToken);

    ValueTask<DomainInfo> GetDomainInfoAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<(DomainState State, int Reason)> GetDomainStateAsync(DomainRef domain, uint flags, CancellationToken cancellationToken);

    ValueTask<string> GetDomainXmlAsync(DomainRef domain, DomainXmlFlags flags, CancellationToken cancellationToken);

    ValueTask<string> GetDomainOsTypeAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<ulong> GetDomainMaxMemoryAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<int> GetDomainMaxVcpusAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<int> GetDomainVcpusAsync(DomainRef domain, DomainVcpuFlags flags, CancellationToken cancellationToken);

    ValueTask SetDomainVcpusAsync(DomainRef domain, uint count, DomainVcpuFlags flags, CancellationToken cancellationToken);

    ValueTask<bool> GetDomainAutostartAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask SetDomainAutostartAsync(DomainRef domain, bool autostart, CancellationToken cancellationToken);

    ValueTask SetDomainMemoryAsync(DomainRef domain, ulong memoryKiB, DomainModificationImpact flags, CancellationToken cancellationToken);

    ValueTask SetDomainMaxMemoryAsync(DomainRef domain, ulong memoryKiB, CancellationToken cancellationToken);

    ValueTask<DomainRef> DefineDomainAsync(string xml, uint flags, CancellationToken cancellationToken);

    ValueTask UndefineDomainAsync(DomainRef domain, DomainUndefineFlags flags, CancellationToken cancellationToken);

    ValueTask<DomainRef> StartDomainAsync(DomainRef domain, DomainCreateFlags flags, CancellationToken cancellationToken);

    ValueTask<DomainRef> CreateDomainAsync(string xml, DomainCreateFlags flags, CancellationToken cancellationToken);

    ValueTask DestroyDomainAsync(DomainRef domain, DomainDestroyFlags flags, CancellationToken cancellationToken);

    ValueTask ShutdownDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken);

    ValueTask RebootDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken);

    ValueTask ResetDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken);

    ValueTask SuspendDomainAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask ResumeDomainAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<bool> IsDomainActiveAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<bool> IsDomainPersistentAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<bool> IsDomainUpdatedAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<bool> HasManagedSaveImageAsync(DomainRef domain, uint flags, CancellationToken cancellationToken);

    ValueTask<int> GetSnapshotCountAsync(DomainRef domain, uint flags, CancellationToken cancellationToken);

    ValueTask<(string Label, bool Enforcing)> GetSecurityLabelAsync(DomainRef domain, CancellationToken cancellationToken);

    ValueTask<string> GetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? uri, uint flags, CancellationToken cancellationToken);

    ValueTask SetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? metadata, string? key, string? uri, uint flags, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<string>> GetDomainMessagesAsync(DomainRef domain, uint flags, CancellationToken cancellationToken);

    /// <summary>Stats for <paramref name="domains"/>, or for all domains matching <paramref name="flags"/> when empty.</summary>
    ValueTask<IReadOnlyList<DomainStatsRecord>> GetAllDomainStatsAsync(IReadOnlyList<DomainRef> domains, DomainStatsTypes stats, GetAllDomainStatsFlags flags, CancellationToken cancellationToken);

    // Networks

    ValueTask<IReadOnlyList<NetworkRef>> ListNetworksAsync(ListNetworksFlags flags, CancellationToken cancellationToken);

    ValueTask<NetworkRef> LookupNetworkByNameAsync(string name, CancellationToken cancellationToken);

    ValueTask<NetworkRef> LookupNetworkByUuidAsync(Virtwire.Xdr.XdrUuid uuid, CancellationToken cancellationToken);

    ValueTask<string> GetNetworkXmlAsync(NetworkRef network, uint flags, CancellationToken cancellationToken);

    ValueTask<string> GetNetworkBridgeNameAsync(NetworkRef network, CancellationToken cancellationToken);

    ValueTask<bool> IsNetworkActiveAsync(NetworkRef network, CancellationToken cancellationToken);

    ValueTask<bool> IsNetworkPersistentAsync(NetworkRef network, CancellationToken cancellationToken);

    ValueTask<bool> GetNetworkAutostartAsync(NetworkRef network, CancellationToken cancellationToken);

    ValueTask SetNetworkAutostartAsync(NetworkRef network, bool autostart, CancellationToken cancellationToken);

    ValueTask StartNetworkAsync(NetworkRef network, CancellationToken cancellationToken);

    ValueTask<NetworkRef> CreateNetworkAsync(string xml, CancellationToken cancellationToken);

    ValueTask<NetworkRef> DefineNetworkAsync(string xml, CancellationToken cancellationToken);

    ValueTask DestroyNetworkAsync(NetworkRef network, CancellationToken cancellationToken);

    ValueTask UndefineNetworkAsync(NetworkRef network, CancellationToken cancellationToken);

    // Storage

    ValueTask<IReadOnlyList<StoragePoolRef>> ListStoragePoolsAsync(ListStoragePoolsFlags flags, CancellationToken cancellationToken);

    ValueTask<StoragePoolRef> LookupStoragePoolByNameAsync(string name, CancellationToken cancellationToken);

    ValueTask<StoragePoolRef> LookupStoragePoolByUuidAsync(Virtwire.Xdr.XdrUuid uuid, CancellationToken cancellationToken);

    ValueTask<StoragePoolInfo> GetStoragePoolInfoAsync(StoragePoolRef pool, CancellationToken cancellationToken);

    ValueTask<string> GetStoragePoolXmlAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken);

    ValueTask<bool> IsStoragePoolActiveAsync(StoragePoolRef pool, CancellationToken cancellationToken);

    ValueTask<bool> IsStoragePoolPersistentAsync(StoragePoolRef pool, CancellationToken cancellationToken);

    ValueTask<bool> GetStoragePoolAutostartAsync(StoragePoolRef pool, CancellationToken cancellationToken);

    ValueTask SetStoragePoolAutostartAsync(StoragePoolRef pool, bool autostart, CancellationToken cancellationToken);

    ValueTask StartStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken);

    ValueTask<StoragePoolRef> CreateStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken);

    ValueTask<StoragePoolRef> DefineStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken);

    ValueTask DestroyStoragePoolAsync(StoragePoolRef pool, CancellationToken cancellationToken);

    ValueTask UndefineStoragePoolAsync(StoragePoolRef pool, CancellationToken cancellationToken);

    /// <summary>Builds an inactive pool (raises the Created lifecycle event).</summary>
    ValueTask BuildStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken);

    ValueTask RefreshStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken);

    /// <summary>Deletes an inactive pool's underlying storage (raises the Deleted lifecycle event).</summary>
    ValueTask DeleteStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<StorageVolRef>> ListStorageVolumesAsync(StoragePoolRef pool, CancellationToken cancellationToken);

    ValueTask<StorageVolRef> LookupStorageVolByNameAsync(StoragePoolRef pool, string name, CancellationToken cancellationToken);

    ValueTask<StorageVolRef> LookupStorageVolByKeyAsync(string key, CancellationToken cancellationToken);

    ValueTask<StorageVolRef> LookupStorageVolByPathAsync(string path, CancellationToken cancellationToken);

    ValueTask<StorageVolInfo> GetStorageVolInfoAsync(StorageVolRef volume, CancellationToken cancellationToken);

    ValueTask<string> GetStorageVolXmlAsync(StorageVolRef volume, uint flags, CancellationToken cancellationToken);

    ValueTask<string> GetStorageVolPathAsync(StorageVolRef volume, CancellationToken cancellationToken);

    ValueTask<StorageVolRef> CreateStorageVolAsync(StoragePoolRef pool, string xml, uint flags, CancellationToken cancellationToken);

    ValueTask DeleteStorageVolAsync(StorageVolRef volume, uint flags, CancellationToken cancellationToken);
}
