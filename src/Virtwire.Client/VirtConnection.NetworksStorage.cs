using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Client;

/// <summary>A virtual network on a connection.</summary>
public sealed class VirtNetwork
{
    private readonly VirtConnection _connection;

    internal VirtNetwork(VirtConnection connection, RemoteNetwork handle)
    {
        _connection = connection;
        Handle = handle;
    }

    internal RemoteNetwork Handle { get; }

    public string Name => Handle.Name;

    public XdrUuid Uuid => Handle.Uuid;

    private NetworkArgs Args => new() { Net = Handle };

    public async ValueTask<bool> IsActiveAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.NetworkIsActiveAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask<bool> IsPersistentAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.NetworkIsPersistentAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask<bool> GetAutostartAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.NetworkGetAutostartAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask SetAutostartAsync(bool autostart, CancellationToken cancellationToken = default) =>
        await _connection.Remote.NetworkSetAutostartAsync(new NetworkSetAutostartArgs { Net = Handle, Autostart = autostart ? 1 : 0 }, cancellationToken).ConfigureAwait(false);

    public async ValueTask<string> GetBridgeNameAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.NetworkGetBridgeNameAsync(Args, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<string> GetXmlDescAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.NetworkGetXmlDescAsync(new NetworkFlagsArgs { Net = Handle }, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask StartAsync(CancellationToken cancellationToken = default) =>
        await _connection.Remote.NetworkCreateAsync(Args, cancellationToken).ConfigureAwait(false);

    public async ValueTask DestroyAsync(CancellationToken cancellationToken = default) =>
        await _connection.Remote.NetworkDestroyAsync(Args, cancellationToken).ConfigureAwait(false);

    public async ValueTask UndefineAsync(CancellationToken cancellationToken = default) =>
        await _connection.Remote.NetworkUndefineAsync(Args, cancellationToken).ConfigureAwait(false);
}

/// <summary>A storage pool on a connection.</summary>
public sealed class VirtStoragePool
{
    private readonly VirtConnection _connection;

    internal VirtStoragePool(VirtConnection connection, RemoteStoragePool handle)
    {
        _connection = connection;
        Handle = handle;
    }

    internal RemoteStoragePool Handle { get; }

    public string Name => Handle.Name;

    public XdrUuid Uuid => Handle.Uuid;

    private StoragePoolArgs Args => new() { Pool = Handle };

    public async ValueTask<VirtStoragePoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var r = await _connection.Remote.StoragePoolGetInfoAsync(Args, cancellationToken).ConfigureAwait(false);
        return new VirtStoragePoolInfo((StoragePoolState)r.State, r.Capacity, r.Allocation, r.Available);
    }

    public async ValueTask<bool> IsActiveAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.StoragePoolIsActiveAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask<bool> IsPersistentAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.StoragePoolIsPersistentAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask<bool> GetAutostartAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.StoragePoolGetAutostartAsync(Args, cancellationToken).ConfigureAwait(false)).Value != 0;

    public async ValueTask SetAutostartAsync(bool autostart, CancellationToken cancellationToken = default) =>
        await _connection.Remote.StoragePoolSetAutostartAsync(new StoragePoolSetAutostartArgs { Pool = Handle, Autostart = autostart ? 1 : 0 }, cancellationToken).ConfigureAwait(false);

    public async ValueTask<string> GetXmlDescAsync(CancellationToken cancellationToken = default) =>
        (await _connection.Remote.StoragePoolGetXmlDescAsync(new StoragePoolFlagsArgs { Pool = Handle }, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask StartAsync(CancellationToken cancellationToken = default) =>
        await _connection.Remote.StoragePoolCreateAsync(new StoragePoolFlagsArgs { Pool = Handle }, cancellationToken).ConfigureAwait(false);

    public async ValueTask DestroyAsync(CancellationToken cancellationToken = default) =>
        await _connection.Remote.StoragePoolDestroyAsync(Args, cancellationToken).ConfigureAwait(false);

    public async ValueTask UndefineAsync(CancellationToken cancellationToken = default) =>
        await _connection.Remote.StoragePoolUndefineAsync(Args, cancellationToken).ConfigureAwait(false);
}

public sealed partial class VirtConnection
{
    public async ValueTask<IReadOnlyList<VirtNetwork>> ListAllNetworksAsync(ListNetworksFlags flags = ListNetworksFlags.None, CancellationToken cancellationToken = default) =>
        (await Remote.ConnectListAllNetworksAsync(new ListAllArgs { NeedResults = 1, Flags = (uint)flags }, cancellationToken).ConfigureAwait(false))
            .Nets.Select(n => new VirtNetwork(this, n)).ToArray();

    public async ValueTask<VirtNetwork> LookupNetworkByNameAsync(string name, CancellationToken cancellationToken = default) =>
        new(this, (await Remote.NetworkLookupByNameAsync(new StringArgs { Value = name }, cancellationToken).ConfigureAwait(false)).Net);

    public async ValueTask<VirtNetwork> LookupNetworkByUuidAsync(XdrUuid uuid, CancellationToken cancellationToken = default) =>
        new(this, (await Remote.NetworkLookupByUuidAsync(new UuidArgs { Uuid = uuid }, cancellationToken).ConfigureAwait(false)).Net);

    public async ValueTask<VirtNetwork> DefineNetworkAsync(string xml, CancellationToken cancellationToken = default) =>
        new(this, (await Remote.NetworkDefineXmlAsync(new StringArgs { Value = xml }, cancellationToken).ConfigureAwait(false)).Net);

    public async ValueTask<IReadOnlyList<VirtStoragePool>> ListAllStoragePoolsAsync(ListStoragePoolsFlags flags = ListStoragePoolsFlags.None, CancellationToken cancellationToken = default) =>
        (await Remote.ConnectListAllStoragePoolsAsync(new ListAllArgs { NeedResults = 1, Flags = (uint)flags }, cancellationToken).ConfigureAwait(false))
            .Pools.Select(p => new VirtStoragePool(this, p)).ToArray();

    public async ValueTask<VirtStoragePool> LookupStoragePoolByNameAsync(string name, CancellationToken cancellationToken = default) =>
        new(this, (await Remote.StoragePoolLookupByNameAsync(new StringArgs { Value = name }, cancellationToken).ConfigureAwait(false)).Pool);

    public async ValueTask<VirtStoragePool> LookupStoragePoolByUuidAsync(XdrUuid uuid, CancellationToken cancellationToken = default) =>
        new(this, (await Remote.StoragePoolLookupByUuidAsync(new UuidArgs { Uuid = uuid }, cancellationToken).ConfigureAwait(false)).Pool);
}
