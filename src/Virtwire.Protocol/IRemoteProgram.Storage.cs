using Virtwire.Rpc;

namespace Virtwire.Protocol;

/// <summary>Storage procedures of the REMOTE program.</summary>
public partial interface IRemoteProgram
{
    [RpcProcedure(71, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectNumOfStoragePools();

    [RpcProcedure(72, Priority = RpcPriority.High, ReadOnly = true)]
    NamesRet ConnectListStoragePools(IntArgs args);

    [RpcProcedure(73, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectNumOfDefinedStoragePools();

    [RpcProcedure(74, Priority = RpcPriority.High, ReadOnly = true)]
    NamesRet ConnectListDefinedStoragePools(IntArgs args);

    [RpcProcedure(76)]
    StoragePoolRet StoragePoolCreateXml(StringFlagsArgs args);

    [RpcProcedure(77, Priority = RpcPriority.High)]
    StoragePoolRet StoragePoolDefineXml(StringFlagsArgs args);

    [RpcProcedure(78)]
    void StoragePoolCreate(StoragePoolFlagsArgs args);

    [RpcProcedure(79)]
    void StoragePoolBuild(StoragePoolFlagsArgs args);

    [RpcProcedure(80, Priority = RpcPriority.High)]
    void StoragePoolDestroy(StoragePoolArgs args);

    [RpcProcedure(81)]
    void StoragePoolDelete(StoragePoolFlagsArgs args);

    [RpcProcedure(82, Priority = RpcPriority.High)]
    void StoragePoolUndefine(StoragePoolArgs args);

    [RpcProcedure(83)]
    void StoragePoolRefresh(StoragePoolFlagsArgs args);

    [RpcProcedure(84, Priority = RpcPriority.High, ReadOnly = true)]
    StoragePoolRet StoragePoolLookupByName(StringArgs args);

    [RpcProcedure(85, Priority = RpcPriority.High, ReadOnly = true)]
    StoragePoolRet StoragePoolLookupByUuid(UuidArgs args);

    [RpcProcedure(87, Priority = RpcPriority.High, ReadOnly = true)]
    StoragePoolGetInfoRet StoragePoolGetInfo(StoragePoolArgs args);

    [RpcProcedure(88, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet StoragePoolGetXmlDesc(StoragePoolFlagsArgs args);

    [RpcProcedure(89, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet StoragePoolGetAutostart(StoragePoolArgs args);

    [RpcProcedure(90, Priority = RpcPriority.High)]
    void StoragePoolSetAutostart(StoragePoolSetAutostartArgs args);

    [RpcProcedure(95, Priority = RpcPriority.High, ReadOnly = true)]
    StorageVolRet StorageVolLookupByName(StorageVolLookupByNameArgs args);

    [RpcProcedure(96, Priority = RpcPriority.High, ReadOnly = true)]
    StorageVolRet StorageVolLookupByKey(StringArgs args);

    [RpcProcedure(97, Priority = RpcPriority.High, ReadOnly = true)]
    StorageVolRet StorageVolLookupByPath(StringArgs args);

    [RpcProcedure(98, Priority = RpcPriority.High, ReadOnly = true)]
    StorageVolGetInfoRet StorageVolGetInfo(StorageVolArgs args);

    [RpcProcedure(99, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet StorageVolGetXmlDesc(StorageVolFlagsArgs args);

    [RpcProcedure(154, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet StoragePoolIsActive(StoragePoolArgs args);

    [RpcProcedure(155, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet StoragePoolIsPersistent(StoragePoolArgs args);

    [RpcProcedure(281, Priority = RpcPriority.High, ReadOnly = true)]
    StoragePoolListRet ConnectListAllStoragePools(ListAllArgs args);

    [RpcProcedure(282, Priority = RpcPriority.High, ReadOnly = true)]
    StorageVolListRet StoragePoolListAllVolumes(StoragePoolListAllVolumesArgs args);
}
