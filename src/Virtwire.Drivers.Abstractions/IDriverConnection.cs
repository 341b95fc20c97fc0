using Virtwire.Protocol;

namespace Virtwire.Drivers;

/// <summary>
/// One open connection to a driver. Every method may be called concurrently from many clients.
/// Failures are <see cref="Virtwire.Rpc.RpcRemoteException"/> with libvirt's code, domain and message.
/// </summary>
/// <remarks>
/// Members a driver does not implement keep their default, which throws
/// <see cref="Virtwire.Rpc.RpcProcedureNotImplementedException"/>: the daemon answers it with libvirt's
/// "this function is not supported by the connection driver" for the API called.
/// </remarks>
public interface IDriverConnection : IAsyncDisposable
{
    /// <summary>What a default member throws.</summary>
    protected static Virtwire.Rpc.RpcProcedureNotImplementedException Unsupported() => new(0);

    /// <summary>The canonical URI of this connection, e.g. <c>test:///default</c>.</summary>
    string Uri { get; }

    /// <summary>Subscribes to events of the state this connection sees; the handler must not block.</summary>
    IDisposable SubscribeEvents(Action<DriverEvent> handler);

    ValueTask<string> GetTypeAsync(CancellationToken cancellationToken);

    ValueTask<ulong> GetVersionAsync(CancellationToken cancellationToken);

    ValueTask<string> GetHostnameAsync(CancellationToken cancellationToken);

    ValueTask<string> GetCapabilitiesAsync(CancellationToken cancellationToken);

    ValueTask<string> GetSysinfoAsync(uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<int> GetMaxVcpusAsync(string? type, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<NodeInfo> GetNodeInfoAsync(CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<ulong> GetFreeMemoryAsync(CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<IReadOnlyList<ulong>> GetCellsFreeMemoryAsync(int startCell, int maxCells, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<(string Model, string Doi)> GetSecurityModelAsync(CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> SupportsFeatureAsync(int feature, CancellationToken cancellationToken) =>
        throw Unsupported();

    // Domains

    ValueTask<IReadOnlyList<DomainRef>> ListDomainsAsync(ListDomainsFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<DomainRef> LookupDomainByIdAsync(int id, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<DomainRef> LookupDomainByNameAsync(string name, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<DomainRef> LookupDomainByUuidAsync(Virtwire.Xdr.XdrUuid uuid, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<DomainInfo> GetDomainInfoAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<(DomainState State, int Reason)> GetDomainStateAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetDomainXmlAsync(DomainRef domain, DomainXmlFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetDomainOsTypeAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<ulong> GetDomainMaxMemoryAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<int> GetDomainMaxVcpusAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<int> GetDomainVcpusAsync(DomainRef domain, DomainVcpuFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SetDomainVcpusAsync(DomainRef domain, uint count, DomainVcpuFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> GetDomainAutostartAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SetDomainAutostartAsync(DomainRef domain, bool autostart, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SetDomainMemoryAsync(DomainRef domain, ulong memoryKiB, DomainModificationImpact flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SetDomainMaxMemoryAsync(DomainRef domain, ulong memoryKiB, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<DomainRef> DefineDomainAsync(string xml, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask UndefineDomainAsync(DomainRef domain, DomainUndefineFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<DomainRef> StartDomainAsync(DomainRef domain, DomainCreateFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<DomainRef> CreateDomainAsync(string xml, DomainCreateFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask DestroyDomainAsync(DomainRef domain, DomainDestroyFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask ShutdownDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask RebootDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask ResetDomainAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SuspendDomainAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask ResumeDomainAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> IsDomainActiveAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> IsDomainPersistentAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> IsDomainUpdatedAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> HasManagedSaveImageAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<int> GetSnapshotCountAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<(string Label, bool Enforcing)> GetSecurityLabelAsync(DomainRef domain, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? uri, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SetDomainMetadataAsync(DomainRef domain, DomainMetadataType type, string? metadata, string? key, string? uri, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<IReadOnlyList<string>> GetDomainMessagesAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    /// <summary>DOMAIN_MEMORY_STATS of a running domain: values in KiB.</summary>
    ValueTask<IReadOnlyList<(DomainMemoryStatTag Tag, ulong Value)>> GetDomainMemoryStatsAsync(DomainRef domain, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    /// <summary>
    /// Opens the console (<paramref name="device"/> null: the first console or serial port) of a running domain as a
    /// byte stream in both directions. The stream ends when the domain stops or another session takes the console
    /// over with <see cref="DomainConsoleFlags.Force"/>.
    /// </summary>
    ValueTask<Stream> OpenDomainConsoleAsync(DomainRef domain, string? device, DomainConsoleFlags flags, CancellationToken cancellationToken) =>
        throw new Virtwire.Rpc.RpcProcedureNotImplementedException(201);

    /// <summary>Stats for <paramref name="domains"/>, or for all domains matching <paramref name="flags"/> when empty.</summary>
    ValueTask<IReadOnlyList<DomainStatsRecord>> GetAllDomainStatsAsync(IReadOnlyList<DomainRef> domains, DomainStatsTypes stats, GetAllDomainStatsFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    // Networks

    ValueTask<IReadOnlyList<NetworkRef>> ListNetworksAsync(ListNetworksFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<NetworkRef> LookupNetworkByNameAsync(string name, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<NetworkRef> LookupNetworkByUuidAsync(Virtwire.Xdr.XdrUuid uuid, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetNetworkXmlAsync(NetworkRef network, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetNetworkBridgeNameAsync(NetworkRef network, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> IsNetworkActiveAsync(NetworkRef network, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> IsNetworkPersistentAsync(NetworkRef network, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> GetNetworkAutostartAsync(NetworkRef network, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SetNetworkAutostartAsync(NetworkRef network, bool autostart, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask StartNetworkAsync(NetworkRef network, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<NetworkRef> CreateNetworkAsync(string xml, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<NetworkRef> DefineNetworkAsync(string xml, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask DestroyNetworkAsync(NetworkRef network, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask UndefineNetworkAsync(NetworkRef network, CancellationToken cancellationToken) =>
        throw Unsupported();

    // Storage

    ValueTask<IReadOnlyList<StoragePoolRef>> ListStoragePoolsAsync(ListStoragePoolsFlags flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StoragePoolRef> LookupStoragePoolByNameAsync(string name, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StoragePoolRef> LookupStoragePoolByUuidAsync(Virtwire.Xdr.XdrUuid uuid, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StoragePoolInfo> GetStoragePoolInfoAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetStoragePoolXmlAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> IsStoragePoolActiveAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> IsStoragePoolPersistentAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<bool> GetStoragePoolAutostartAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask SetStoragePoolAutostartAsync(StoragePoolRef pool, bool autostart, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask StartStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StoragePoolRef> CreateStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StoragePoolRef> DefineStoragePoolAsync(string xml, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask DestroyStoragePoolAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask UndefineStoragePoolAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        throw Unsupported();

    /// <summary>Builds an inactive pool (raises the Created lifecycle event).</summary>
    ValueTask BuildStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask RefreshStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    /// <summary>Deletes an inactive pool's underlying storage (raises the Deleted lifecycle event).</summary>
    ValueTask DeleteStoragePoolAsync(StoragePoolRef pool, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<IReadOnlyList<StorageVolRef>> ListStorageVolumesAsync(StoragePoolRef pool, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StorageVolRef> LookupStorageVolByNameAsync(StoragePoolRef pool, string name, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StorageVolRef> LookupStorageVolByKeyAsync(string key, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StorageVolRef> LookupStorageVolByPathAsync(string path, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StorageVolInfo> GetStorageVolInfoAsync(StorageVolRef volume, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetStorageVolXmlAsync(StorageVolRef volume, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<string> GetStorageVolPathAsync(StorageVolRef volume, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask<StorageVolRef> CreateStorageVolAsync(StoragePoolRef pool, string xml, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();

    ValueTask DeleteStorageVolAsync(StorageVolRef volume, uint flags, CancellationToken cancellationToken) =>
        throw Unsupported();
}
