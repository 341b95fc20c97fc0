using Virtwire.Protocol;

namespace Virtwire.Server;

internal sealed partial class RemoteDispatcher
{
    private static NetworkRet Net(Virtwire.Drivers.NetworkRef network) => new() { Net = network.ToWire() };

    private static StoragePoolRet Pool(Virtwire.Drivers.StoragePoolRef pool) => new() { Pool = pool.ToWire() };

    public override async ValueTask<NetworkListRet> ConnectListAllNetworksAsync(ClientSession context, ListAllArgs args, CancellationToken cancellationToken)
    {
        var networks = await D(context).ListNetworksAsync((ListNetworksFlags)args.Flags, cancellationToken).ConfigureAwait(false);
        return new NetworkListRet { Nets = args.NeedResults != 0 ? networks.Select(n => n.ToWire()).ToArray() : [], Count = (uint)networks.Count };
    }

    public override async ValueTask<IntRet> ConnectNumOfNetworksAsync(ClientSession context, CancellationToken cancellationToken) =>
        Int((await D(context).ListNetworksAsync(ListNetworksFlags.Active, cancellationToken).ConfigureAwait(false)).Count);

    public override async ValueTask<IntRet> ConnectNumOfDefinedNetworksAsync(ClientSession context, CancellationToken cancellationToken) =>
        Int((await D(context).ListNetworksAsync(ListNetworksFlags.Inactive, cancellationToken).ConfigureAwait(false)).Count);

    public override async ValueTask<NamesRet> ConnectListNetworksAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        new() { Names = (await D(context).ListNetworksAsync(ListNetworksFlags.Active, cancellationToken).ConfigureAwait(false)).Take(Math.Max(0, args.Value)).Select(n => n.Name).ToArray() };

    public override async ValueTask<NamesRet> ConnectListDefinedNetworksAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        new() { Names = (await D(context).ListNetworksAsync(ListNetworksFlags.Inactive, cancellationToken).ConfigureAwait(false)).Take(Math.Max(0, args.Value)).Select(n => n.Name).ToArray() };

    public override async ValueTask<NetworkRet> NetworkLookupByNameAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        Net(await D(context).LookupNetworkByNameAsync(args.Value, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<NetworkRet> NetworkLookupByUuidAsync(ClientSession context, UuidArgs args, CancellationToken cancellationToken) =>
        Net(await D(context).LookupNetworkByUuidAsync(args.Uuid, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<StringRet> NetworkGetXmlDescAsync(ClientSession context, NetworkFlagsArgs args, CancellationToken cancellationToken) =>
        Str(await D(context).GetNetworkXmlAsync(args.Net.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<StringRet> NetworkGetBridgeNameAsync(ClientSession context, NetworkArgs args, CancellationToken cancellationToken) =>
        Str(await D(context).GetNetworkBridgeNameAsync(args.Net.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> NetworkIsActiveAsync(ClientSession context, NetworkArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).IsNetworkActiveAsync(args.Net.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> NetworkIsPersistentAsync(ClientSession context, NetworkArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).IsNetworkPersistentAsync(args.Net.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> NetworkGetAutostartAsync(ClientSession context, NetworkArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).GetNetworkAutostartAsync(args.Net.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask NetworkSetAutostartAsync(ClientSession context, NetworkSetAutostartArgs args, CancellationToken cancellationToken) =>
        await D(context).SetNetworkAutostartAsync(args.Net.ToDriver(), args.Autostart != 0, cancellationToken).ConfigureAwait(false);

    public override async ValueTask NetworkCreateAsync(ClientSession context, NetworkArgs args, CancellationToken cancellationToken) =>
        await D(context).StartNetworkAsync(args.Net.ToDriver(), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<NetworkRet> NetworkCreateXmlAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        Net(await D(context).CreateNetworkAsync(args.Value, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<NetworkRet> NetworkDefineXmlAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        Net(await D(context).DefineNetworkAsync(args.Value, cancellationToken).ConfigureAwait(false));

    public override async ValueTask NetworkDestroyAsync(ClientSession context, NetworkArgs args, CancellationToken cancellationToken) =>
        await D(context).DestroyNetworkAsync(args.Net.ToDriver(), cancellationToken).ConfigureAwait(false);

    public override async ValueTask NetworkUndefineAsync(ClientSession context, NetworkArgs args, CancellationToken cancellationToken) =>
        await D(context).UndefineNetworkAsync(args.Net.ToDriver(), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<StoragePoolListRet> ConnectListAllStoragePoolsAsync(ClientSession context, ListAllArgs args, CancellationToken cancellationToken)
    {
        var pools = await D(context).ListStoragePoolsAsync((ListStoragePoolsFlags)args.Flags, cancellationToken).ConfigureAwait(false);
        return new StoragePoolListRet { Pools = args.NeedResults != 0 ? pools.Select(p => p.ToWire()).ToArray() : [], Count = (uint)pools.Count };
    }

    public override async ValueTask<IntRet> ConnectNumOfStoragePoolsAsync(ClientSession context, CancellationToken cancellationToken) =>
        Int((await D(context).ListStoragePoolsAsync(ListStoragePoolsFlags.Active, cancellationToken).ConfigureAwait(false)).Count);

    public override async ValueTask<IntRet> ConnectNumOfDefinedStoragePoolsAsync(ClientSession context, CancellationToken cancellationToken) =>
        Int((await D(context).ListStoragePoolsAsync(ListStoragePoolsFlags.Inactive, cancellationToken).ConfigureAwait(false)).Count);

    public override async ValueTask<NamesRet> ConnectListStoragePoolsAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        new() { Names = (await D(context).ListStoragePoolsAsync(ListStoragePoolsFlags.Active, cancellationToken).ConfigureAwait(false)).Take(Math.Max(0, args.Value)).Select(p => p.Name).ToArray() };

    public override async ValueTask<NamesRet> ConnectListDefinedStoragePoolsAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        new() { Names = (await D(context).ListStoragePoolsAsync(ListStoragePoolsFlags.Inactive, cancellationToken).ConfigureAwait(false)).Take(Math.Max(0, args.Value)).Select(p => p.Name).ToArray() };

    public override async ValueTask<StoragePoolRet> StoragePoolLookupByNameAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        Pool(await D(context).LookupStoragePoolByNameAsync(args.Value, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<StoragePoolRet> StoragePoolLookupByUuidAsync(ClientSession context, UuidArgs args, CancellationToken cancellationToken) =>
        Pool(await D(context).LookupStoragePoolByUuidAsync(args.Uuid, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<StoragePoolGetInfoRet> StoragePoolGetInfoAsync(ClientSession context, StoragePoolArgs args, CancellationToken cancellationToken)
    {
        var info = await D(context).GetStoragePoolInfoAsync(args.Pool.ToDriver(), cancellationToken).ConfigureAwait(false);
        return new StoragePoolGetInfoRet { State = (byte)info.State, Capacity = info.Capacity, Allocation = info.Allocation, Available = info.Available };
    }

    public override async ValueTask<StringRet> StoragePoolGetXmlDescAsync(ClientSession context, StoragePoolFlagsArgs args, CancellationToken cancellationToken) =>
        Str(await D(context).GetStoragePoolXmlAsync(args.Pool.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> StoragePoolIsActiveAsync(ClientSession context, StoragePoolArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).IsStoragePoolActiveAsync(args.Pool.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> StoragePoolIsPersistentAsync(ClientSession context, StoragePoolArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).IsStoragePoolPersistentAsync(args.Pool.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask<IntRet> StoragePoolGetAutostartAsync(ClientSession context, StoragePoolArgs args, CancellationToken cancellationToken) =>
        Int(await D(context).GetStoragePoolAutostartAsync(args.Pool.ToDriver(), cancellationToken).ConfigureAwait(false));

    public override async ValueTask StoragePoolSetAutostartAsync(ClientSession context, StoragePoolSetAutostartArgs args, CancellationToken cancellationToken) =>
        await D(context).SetStoragePoolAutostartAsync(args.Pool.ToDriver(), args.Autostart != 0, cancellationToken).ConfigureAwait(false);

    public override async ValueTask StoragePoolCreateAsync(ClientSession context, StoragePoolFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).StartStoragePoolAsync(args.Pool.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<StoragePoolRet> StoragePoolCreateXmlAsync(ClientSession context, StringFlagsArgs args, CancellationToken cancellationToken) =>
        Pool(await D(context).CreateStoragePoolAsync(args.Value, args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<StoragePoolRet> StoragePoolDefineXmlAsync(ClientSession context, StringFlagsArgs args, CancellationToken cancellationToken) =>
        Pool(await D(context).DefineStoragePoolAsync(args.Value, args.Flags, cancellationToken).ConfigureAwait(false));

    public override async ValueTask StoragePoolDestroyAsync(ClientSession context, StoragePoolArgs args, CancellationToken cancellationToken) =>
        await D(context).DestroyStoragePoolAsync(args.Pool.ToDriver(), cancellationToken).ConfigureAwait(false);

    public override async ValueTask StoragePoolUndefineAsync(ClientSession context, StoragePoolArgs args, CancellationToken cancellationToken) =>
        await D(context).UndefineStoragePoolAsync(args.Pool.ToDriver(), cancellationToken).ConfigureAwait(false);

    public override async ValueTask<StorageVolListRet> StoragePoolListAllVolumesAsync(ClientSession context, StoragePoolListAllVolumesArgs args, CancellationToken cancellationToken)
    {
        var vols = await D(context).ListStorageVolumesAsync(args.Pool.ToDriver(), cancellationToken).ConfigureAwait(false);
        return new StorageVolListRet { Vols = args.NeedResults != 0 ? vols.Select(v => v.ToWire()).ToArray() : [], Count = (uint)vols.Count };
    }

    public override async ValueTask StoragePoolBuildAsync(ClientSession context, StoragePoolFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).BuildStoragePoolAsync(args.Pool.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask StoragePoolDeleteAsync(ClientSession context, StoragePoolFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).DeleteStoragePoolAsync(args.Pool.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask StoragePoolRefreshAsync(ClientSession context, StoragePoolFlagsArgs args, CancellationToken cancellationToken) =>
        await D(context).RefreshStoragePoolAsync(args.Pool.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<StorageVolRet> StorageVolLookupByNameAsync(ClientSession context, StorageVolLookupByNameArgs args, CancellationToken cancellationToken) =>
        new() { Vol = (await D(context).LookupStorageVolByNameAsync(args.Pool.ToDriver(), args.Name, cancellationToken).ConfigureAwait(false)).ToWire() };

    public override async ValueTask<StorageVolRet> StorageVolLookupByKeyAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        new() { Vol = (await D(context).LookupStorageVolByKeyAsync(args.Value, cancellationToken).ConfigureAwait(false)).ToWire() };

    public override async ValueTask<StorageVolRet> StorageVolLookupByPathAsync(ClientSession context, StringArgs args, CancellationToken cancellationToken) =>
        new() { Vol = (await D(context).LookupStorageVolByPathAsync(args.Value, cancellationToken).ConfigureAwait(false)).ToWire() };

    public override async ValueTask<StorageVolGetInfoRet> StorageVolGetInfoAsync(ClientSession context, StorageVolArgs args, CancellationToken cancellationToken)
    {
        var info = await D(context).GetStorageVolInfoAsync(args.Vol.ToDriver(), cancellationToken).ConfigureAwait(false);
        return new StorageVolGetInfoRet { Type = (byte)info.Type, Capacity = info.Capacity, Allocation = info.Allocation };
    }

    public override async ValueTask<StringRet> StorageVolGetXmlDescAsync(ClientSession context, StorageVolFlagsArgs args, CancellationToken cancellationToken) =>
        Str(await D(context).GetStorageVolXmlAsync(args.Vol.ToDriver(), args.Flags, cancellationToken).ConfigureAwait(false));
}
