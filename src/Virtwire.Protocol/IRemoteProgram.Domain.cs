using Virtwire.Rpc;

namespace Virtwire.Protocol;

/// <summary>Domain procedures of the REMOTE program.</summary>
public partial interface IRemoteProgram
{
    [RpcProcedure(8)]
    void DomainAttachDevice(DomainXmlArgs args);

    [RpcProcedure(9)]
    void DomainCreate(DomainArgs args);

    [RpcProcedure(10)]
    DomainRet DomainCreateXml(StringFlagsArgs args);

    [RpcProcedure(11, Priority = RpcPriority.High)]
    DomainRet DomainDefineXml(StringArgs args);

    [RpcProcedure(12, Priority = RpcPriority.High)]
    void DomainDestroy(DomainArgs args);

    [RpcProcedure(13)]
    void DomainDetachDevice(DomainXmlArgs args);

    [RpcProcedure(14, ReadOnly = true)]
    StringRet DomainGetXmlDesc(DomainFlagsArgs args);

    [RpcProcedure(15, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet DomainGetAutostart(DomainArgs args);

    [RpcProcedure(16, ReadOnly = true)]
    DomainGetInfoRet DomainGetInfo(DomainArgs args);

    [RpcProcedure(17, Priority = RpcPriority.High, ReadOnly = true)]
    ULongRet DomainGetMaxMemory(DomainArgs args);

    [RpcProcedure(18, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet DomainGetMaxVcpus(DomainArgs args);

    [RpcProcedure(19, Priority = RpcPriority.High, ReadOnly = true)]
    StringRet DomainGetOsType(DomainArgs args);

    [RpcProcedure(20, Priority = RpcPriority.High, ReadOnly = true)]
    DomainGetVcpusRet DomainGetVcpus(DomainGetVcpusArgs args);

    [RpcProcedure(21, Priority = RpcPriority.High, ReadOnly = true)]
    NamesRet ConnectListDefinedDomains(IntArgs args);

    [RpcProcedure(22, Priority = RpcPriority.High, ReadOnly = true)]
    DomainRet DomainLookupById(IntArgs args);

    [RpcProcedure(23, Priority = RpcPriority.High, ReadOnly = true)]
    DomainRet DomainLookupByName(StringArgs args);

    [RpcProcedure(24, Priority = RpcPriority.High, ReadOnly = true)]
    DomainRet DomainLookupByUuid(UuidArgs args);

    [RpcProcedure(25, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectNumOfDefinedDomains();

    [RpcProcedure(27)]
    void DomainReboot(DomainFlagsArgs args);

    [RpcProcedure(28)]
    void DomainResume(DomainArgs args);

    [RpcProcedure(29, Priority = RpcPriority.High)]
    void DomainSetAutostart(DomainSetAutostartArgs args);

    [RpcProcedure(30, Priority = RpcPriority.High)]
    void DomainSetMaxMemory(DomainSetMemoryArgs args);

    [RpcProcedure(31)]
    void DomainSetMemory(DomainSetMemoryArgs args);

    [RpcProcedure(32)]
    void DomainSetVcpus(DomainSetVcpusArgs args);

    [RpcProcedure(33)]
    void DomainShutdown(DomainArgs args);

    [RpcProcedure(34)]
    void DomainSuspend(DomainArgs args);

    [RpcProcedure(35, Priority = RpcPriority.High)]
    void DomainUndefine(DomainArgs args);

    [RpcProcedure(37, Priority = RpcPriority.High, ReadOnly = true)]
    DomainIdsRet ConnectListDomains(IntArgs args);

    [RpcProcedure(51, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet ConnectNumOfDomains();

    [RpcProcedure(121, Priority = RpcPriority.High, ReadOnly = true)]
    DomainGetSecurityLabelRet DomainGetSecurityLabel(DomainArgs args);

    [RpcProcedure(150, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet DomainIsActive(DomainArgs args);

    [RpcProcedure(151, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet DomainIsPersistent(DomainArgs args);

    [RpcProcedure(159, ReadOnly = true)]
    DomainMemoryStatsRet DomainMemoryStats(DomainMemoryStatsArgs args);

    [RpcProcedure(160)]
    void DomainAttachDeviceFlags(DomainXmlFlagsArgs args);

    [RpcProcedure(161)]
    void DomainDetachDeviceFlags(DomainXmlFlagsArgs args);

    [RpcProcedure(183, ReadOnly = true)]
    IntRet DomainHasManagedSaveImage(DomainFlagsArgs args);

    [RpcProcedure(187, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet DomainSnapshotNum(DomainFlagsArgs args);

    [RpcProcedure(196)]
    DomainRet DomainCreateWithFlags(DomainFlagsArgs args);

    [RpcProcedure(199)]
    void DomainSetVcpusFlags(DomainSetVcpusFlagsArgs args);

    [RpcProcedure(200, ReadOnly = true)]
    IntRet DomainGetVcpusFlags(DomainFlagsArgs args);

    [RpcProcedure(201, Stream = RpcStreamDirection.Both)]
    void DomainOpenConsole(DomainOpenConsoleArgs args);

    [RpcProcedure(202, Priority = RpcPriority.High, ReadOnly = true)]
    IntRet DomainIsUpdated(DomainArgs args);

    [RpcProcedure(204)]
    void DomainSetMemoryFlags(DomainSetMemoryFlagsArgs args);

    [RpcProcedure(212, Priority = RpcPriority.High, ReadOnly = true)]
    DomainGetStateRet DomainGetState(DomainFlagsArgs args);

    [RpcProcedure(231, Priority = RpcPriority.High)]
    void DomainUndefineFlags(DomainFlagsArgs args);

    [RpcProcedure(234, Priority = RpcPriority.High)]
    void DomainDestroyFlags(DomainFlagsArgs args);

    [RpcProcedure(245)]
    void DomainReset(DomainFlagsArgs args);

    [RpcProcedure(258)]
    void DomainShutdownFlags(DomainFlagsArgs args);

    [RpcProcedure(264)]
    void DomainSetMetadata(DomainSetMetadataArgs args);

    [RpcProcedure(265, ReadOnly = true)]
    StringRet DomainGetMetadata(DomainGetMetadataArgs args);

    [RpcProcedure(273, Priority = RpcPriority.High, ReadOnly = true)]
    DomainListRet ConnectListAllDomains(ListAllArgs args);

    [RpcProcedure(344, ReadOnly = true)]
    ConnectGetAllDomainStatsRet ConnectGetAllDomainStats(ConnectGetAllDomainStatsArgs args);

    [RpcProcedure(350, Priority = RpcPriority.High)]
    DomainRet DomainDefineXmlFlags(StringFlagsArgs args);

    [RpcProcedure(426, ReadOnly = true)]
    DomainGetMessagesRet DomainGetMessages(DomainFlagsArgs args);
}
