using Virtwire.Rpc;

namespace Virtwire.Protocol;

/// <summary>Network procedures of the REMOTE program.</summary>
public partial interface IRemoteProgram
{
    [RpcProcedure(36, Priority = RpcPriority.High, ReadOnly = true)]
    NamesRet ConnectListDefinedNetworks(IntArgs args);

    [RpcProcedure(38, Priority = RpcPriority.High, ReadOnly = true)]
    NamesRet ConnectListNetworks(IntArgs args);

    [RpcProcedure(39)]
    void NetworkCreate(NetworkArgs args);

    [RpcProcedure(40)]
    NetworkRet NetworkCreateXml(StringArgs args);

    [RpcProcedure(41, Priority = RpcPriority.High)]
    NetworkRet NetworkDefineXml(StringArgs args);

    [RpcProcedure(42, Priority = RpcPriority.High)]
    void NetworkDestroy(NetworkArgs args);

    [RpcProcedure(43, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet NetworkGetXmlDesc(NetworkFlagsArgs args);

    [RpcProcedure(44, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet NetworkGetAutostart(NetworkArgs args);

    [RpcProcedure(45, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet NetworkGetBridgeName(NetworkArgs args);

    [RpcProcedure(46, Priority = RpcPriority.High, ReadOnly = true)]
    NetworkRet NetworkLookupByName(StringArgs args);

    [RpcProcedure(47, Priority = RpcPriority.High, ReadOnly = true)]
    NetworkRet NetworkLookupByUuid(UuidArgs args);

    [RpcProcedure(48, Priority = RpcPriority.High)]
    void NetworkSetAutostart(NetworkSetAutostartArgs args);

    [RpcProcedure(49, Priority = RpcPriority.High)]
    void NetworkUndefine(NetworkArgs args);

    [RpcProcedure(50, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectNumOfDefinedNetworks();

    [RpcProcedure(52, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectNumOfNetworks();

    [RpcProcedure(152, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet NetworkIsActive(NetworkArgs args);

    [RpcProcedure(153, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet NetworkIsPersistent(NetworkArgs args);

    [RpcProcedure(283, Priority = RpcPriority.High, ReadOnly = true)]
    NetworkListRet ConnectListAllNetworks(ListAllArgs args);
}
